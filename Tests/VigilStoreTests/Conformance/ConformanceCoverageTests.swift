import Foundation
import Testing

/// Every requirement of the store protocols, keyed `Protocol.name(label:…)`, and the
/// conformance test (`Suite.test`) that calls it and checks what it does. Keep it honest: list
/// a requirement only for a test whose own body calls it (the meta-test checks the call).
let conformanceCoverage: [String: String] = [
    // Store
    "Store.syncModels(_:now:)": "StoreConformanceTests.modelsAreSyncedAppendOnlyAndLookedUp",
    "Store.model(named:)": "StoreConformanceTests.modelsAreSyncedAppendOnlyAndLookedUp",
    "Store.ingestPredictions(options:nextBatch:progress:)": "StoreConformanceTests.predictionsAreStoredOnceAndRefusalsSaid",
    "Store.ingestLabels(options:nextBatch:progress:)": "StoreConformanceTests.labelsKeepRevisionsAndRefuseConflicts",
    "Store.confusionMatrix(model:window:)": "StoreConformanceTests.windowsCountWholeHoursAndEdges",
    "Store.reviewedScores(model:window:)": "StoreConformanceTests.reviewedScoresAreTheLabelledPredictionsWithTheirScoresInTimeOrder",
    "Store.reviewedAttribute(model:window:attribute:)": "StoreConformanceTests.reviewedAttributesComeWithTheLabelledPredictionsInTimeOrder",
    "Store.forEachReviewedImage(model:window:_:)": "StoreConformanceTests.reviewedImagesComeWithTheirPredictedBoxesInTimeOrder",
    "Store.predictionCount(model:window:)": "StoreConformanceTests.windowsCountWholeHoursAndEdges",
    "Store.recordEvaluation(_:)": "StoreConformanceTests.evaluationRunsAndEventsAreLogged",
    "Store.append(_:)": "StoreConformanceTests.evaluationRunsAndEventsAreLogged",
    "Store.events(model:kind:limit:)": "StoreConformanceTests.evaluationRunsAndEventsAreLogged",
    "Store.firstPredictionTime(model:)": "StoreConformanceTests.firstPredictionTimeIsTheFirstHour",
    "Store.verify()": "StoreConformanceTests.verificationNoticesATamperedAggregate",
    "Store.storedSchema()": "StoreConformanceTests.theSchemaVersionIsTheOneThisBuildWritesUntilANewerVigilMigrates",
    "Store.applyRetention(before:)": "StoreConformanceTests.retentionRemovesOldRawRowsAndRaisesTheMark",
    "Store.retentionMark()": "StoreConformanceTests.retentionRemovesOldRawRowsAndRaisesTheMark",
    // DriftDataSource
    "DriftDataSource.predictedClassCounts(model:window:)": "DriftConformanceTests.predictedClassesAreCountedPerClassAndPerBox",
    "DriftDataSource.scores(model:window:limit:)": "DriftConformanceTests.scoresAreAllReadOrTheStoredSample",
    "DriftDataSource.forEachPredictedBoxes(model:window:limit:_:)": "DriftConformanceTests.predictedBoxesAreReadInTimeOrder",
    "DriftDataSource.correctnessStream(model:window:)": "DriftConformanceTests.correctnessFollowsTheCurrentLabelInTimeOrder",
    "DriftDataSource.hourlyMeanScores(model:window:)": "DriftConformanceTests.hourlyMeansComeFromSumsAndEdges",
    "DriftDataSource.embeddingSample(model:window:limit:)": "DriftConformanceTests.embeddingSampleIsTheSmallestContentHashes",
    // SchedulerStore
    "SchedulerStore.claimSlot(_:owner:now:leaseMillis:)": "SchedulerConformanceTests.aSlotIsClaimedOnceAndTakenOverOnlyAfterItsLease",
    "SchedulerStore.finishJobRun(id:status:finishedAt:error:output:)": "SchedulerConformanceTests.finishingARunRecordsItAndLogsAnEvent",
    "SchedulerStore.jobRuns(model:limit:)": "SchedulerConformanceTests.finishingARunRecordsItAndLogsAnEvent",
    "SchedulerStore.evaluationRuns(model:window:)": "SchedulerConformanceTests.evaluationRunsOfExactlyOneWindowOldestFirst",
    // QueueStore
    "QueueStore.forEachSamplingCandidate(model:window:passes:attribute:_:)": "QueueConformanceTests.samplingCandidatesAreTheUnqueuedUnlabelledPredictions",
    "QueueStore.forEachGoldCandidate(model:window:_:)": "QueueConformanceTests.goldCandidatesAreLabelledPredictionsNeverQueued",
    "QueueStore.attributeValues(model:window:attribute:)": "QueueConformanceTests.attributeValuesAreDistinctWithinTheWindow",
    "QueueStore.enqueue(_:model:sampleRun:now:actor:)": "QueueConformanceTests.enqueueLeavesOutQueuedAndLabelledPredictions",
    "QueueStore.queuedCounts(model:since:)": "QueueConformanceTests.enqueueLeavesOutQueuedAndLabelledPredictions",
    "QueueStore.claim(model:reviewer:now:leaseMillis:limit:)": "QueueConformanceTests.claimsAreOldestFirstAndNeverTwiceForOneReviewer",
    "QueueStore.renew(assignment:reviewer:now:leaseMillis:)": "QueueConformanceTests.onlyTheHolderRenewsOrReleasesALiveClaim",
    "QueueStore.release(assignment:reviewer:now:)": "QueueConformanceTests.onlyTheHolderRenewsOrReleasesALiveClaim",
    "QueueStore.submit(_:reviewer:now:)": "QueueConformanceTests.answersAreRecordedWithTheirStatesAndEvents",
    "QueueStore.liveClaims(reviewer:model:now:)": "QueueConformanceTests.claimsAreOldestFirstAndNeverTwiceForOneReviewer",
    "QueueStore.undoLast(reviewer:model:now:leaseMillis:)": "QueueConformanceTests.undoWithdrawsAFirstLabelAndGivesTheItemBack",
    "QueueStore.labeledItemCount(model:since:)": "QueueConformanceTests.answersAreRecordedWithTheirStatesAndEvents",
    "QueueStore.expireLeases(now:)": "QueueConformanceTests.expiredLeasesReturnItemsAndRefuseLateAnswers",
    "QueueStore.releaseAll(reviewer:model:now:)": "QueueConformanceTests.releaseAllEndsLiveClaimsByReviewerAndModel",
    "QueueStore.queueStatus(model:now:)": "QueueConformanceTests.answersAreRecordedWithTheirStatesAndEvents",
    "QueueStore.reviewItems(model:state:limit:)": "QueueConformanceTests.enqueueLeavesOutQueuedAndLabelledPredictions",
    "QueueStore.finishedAssignments(model:)": "QueueConformanceTests.answersAreRecordedWithTheirStatesAndEvents",
    "QueueStore.weightedReviews(model:window:)": "QueueConformanceTests.weightedReviewsAreTheLabelledQueuedItemsWithTheirProbability",
    // AlertStore
    "AlertStore.recordEvaluation(_:alerting:)": "AlertConformanceTests.anEvaluationAndItsAlertChangesCommitTogether",
    "AlertStore.updateAlerts(model:now:_:)": "AlertConformanceTests.alertUpdatesAreAtomicAndListedFiringFirst",
    "AlertStore.alerts(model:)": "AlertConformanceTests.alertUpdatesAreAtomicAndListedFiringFirst",
    "AlertStore.addSilence(_:)": "AlertConformanceTests.silencesAreInForceBetweenTheirStartAndEnd",
    "AlertStore.silences(activeAt:)": "AlertConformanceTests.silencesAreInForceBetweenTheirStartAndEnd",
    "AlertStore.endSilence(id:now:actor:)": "AlertConformanceTests.silencesAreInForceBetweenTheirStartAndEnd",
    "AlertStore.enqueue(_:events:)": "AlertConformanceTests.outboxClaimsGoPerReceiverInOrderUnderALease",
    "AlertStore.claimOutbox(now:owner:leaseMillis:perReceiverLimit:)": "AlertConformanceTests.outboxClaimsGoPerReceiverInOrderUnderALease",
    "AlertStore.recordDeliveries(_:owner:)": "AlertConformanceTests.deliveriesAreRecordedAndReleaseTheirLeases",
    "AlertStore.renewLeases(receiver:owner:until:)": "AlertConformanceTests.leasesAreRenewedAndReleasedOnlyByTheirOwner",
    "AlertStore.releaseOutbox(seqs:owner:)": "AlertConformanceTests.leasesAreRenewedAndReleasedOnlyByTheirOwner",
    "AlertStore.outbox(states:limit:)": "AlertConformanceTests.deadRowsAreRetriedOnRequest",
    "AlertStore.retryDead(ids:now:actor:)": "AlertConformanceTests.deadRowsAreRetriedOnRequest",
    // EvaluationHistoryStore
    "EvaluationHistoryStore.evaluationHistory(model:since:limit:)": "EvaluationHistoryConformanceTests.historyKeepsTheNewestRunOfEachWindow",
    "EvaluationHistoryStore.evaluationRun(model:id:)": "EvaluationHistoryConformanceTests.anyRunIsReadByItsIdWithinItsModel",
    // RegistryStore
    "RegistryStore.registerVersion(_:now:actor:)": "RegistryConformanceTests.versionsAreNumberedPerModelAndReadBack",
    "RegistryStore.modelVersions(model:)": "RegistryConformanceTests.versionsAreNumberedPerModelAndReadBack",
    "RegistryStore.modelVersion(model:version:)": "RegistryConformanceTests.versionsAreNumberedPerModelAndReadBack",
    "RegistryStore.updateVersion(model:version:state:card:now:actor:)": "RegistryConformanceTests.updatingAVersionReplacesItsCardAndMaybeItsState",
    "RegistryStore.aliases(model:)": "RegistryConformanceTests.aliasMovesKeepChampionPreviousChampionAndChallenger",
    "RegistryStore.moveAlias(_:)": "RegistryConformanceTests.aliasMovesKeepChampionPreviousChampionAndChallenger",
    "RegistryStore.aliasHistory(model:limit:)": "RegistryConformanceTests.aliasMovesKeepChampionPreviousChampionAndChallenger",
    "RegistryStore.createRetrainJob(_:now:actor:)": "RegistryConformanceTests.retrainingJobsGoFromQueuedToRunningToSucceeded",
    "RegistryStore.claimRetrainJob(model:id:owner:pid:now:leaseMillis:)": "RegistryConformanceTests.retrainingJobsGoFromQueuedToRunningToSucceeded",
    "RegistryStore.renewRetrainJob(id:owner:now:leaseMillis:)": "RegistryConformanceTests.retrainingJobsGoFromQueuedToRunningToSucceeded",
    "RegistryStore.finishRetrainJob(id:state:now:error:log:candidateVersion:)": "RegistryConformanceTests.onlyQueuedOrRunningJobsCanBeCancelled",
    "RegistryStore.expireRetrainLeases(now:)": "RegistryConformanceTests.anExpiredLeaseRequeuesTheJobUntilItsAttemptsRunOut",
    "RegistryStore.retrainJobs(model:limit:)": "RegistryConformanceTests.retrainingJobsGoFromQueuedToRunningToSucceeded",
    "RegistryStore.retrainJob(id:)": "RegistryConformanceTests.retrainingJobsGoFromQueuedToRunningToSucceeded",
    "RegistryStore.forEachReviewedPrediction(model:_:)": "RegistryConformanceTests.reviewedPredictionsAndLabelCountsFeedTraining",
    "RegistryStore.labelCount(model:since:)": "RegistryConformanceTests.reviewedPredictionsAndLabelCountsFeedTraining",
    "RegistryStore.latestEvaluation(model:)": "RegistryConformanceTests.latestEvaluationIsTheNewestRunWithItsFindings",
    // TokenStore
    "TokenStore.createToken(_:actor:)": "TokenConformanceTests.tokensAreCreatedListedAndRevoked",
    "TokenStore.tokens(includeRevoked:)": "TokenConformanceTests.tokensAreCreatedListedAndRevoked",
    "TokenStore.revokeToken(key:now:actor:)": "TokenConformanceTests.tokensAreCreatedListedAndRevoked",
    "TokenStore.reportLinkSecret(candidate:)": "TokenConformanceTests.theReportLinkSecretIsStoredOnceAndSharedByEveryConnection",
]

/// The coverage table against the protocols as declared in Sources/VigilStore.
@Suite struct ConformanceCoverageTests {
    static let conformanceDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let storeSources = conformanceDirectory.appendingPathComponent("../../../Sources/VigilStore").standardizedFileURL

    /// `Store` and every protocol it refines, as declared in Sources/VigilStore.
    static func storeProtocols() throws -> [SwiftDeclarations.ProtocolDecl] {
        let files = try FileManager.default.contentsOfDirectory(at: storeSources, includingPropertiesForKeys: nil).filter { $0.pathExtension == "swift" }
        var declared: [String: SwiftDeclarations.ProtocolDecl] = [:]
        for file in files {
            for p in SwiftDeclarations.protocols(in: try String(contentsOf: file, encoding: .utf8)) { declared[p.name] = p }
        }
        guard let store = declared["Store"] else { throw CoverageError("no `public protocol Store` in \(storeSources.path)") }
        var out = [store]
        var pending = store.refines
        while let name = pending.first {
            pending.removeFirst()
            // Refined protocols of the standard library (Sendable) are not the store's.
            guard let p = declared[name], !out.contains(where: { $0.name == name }) else { continue }
            out.append(p)
            pending += p.refines
        }
        return out
    }

    struct CoverageError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// Every requirement, `Protocol.signature`.
    static func requirements() throws -> [String] {
        try storeProtocols().flatMap { p in p.requirements.map { "\(p.name).\($0)" } }
    }

    @Test func everyStoreRequirementHasAConformanceTestThatCallsIt() throws {
        let protocols = try Self.storeProtocols()
        #expect(Set(protocols.map(\.name)) == ["Store", "DriftDataSource", "SchedulerStore", "QueueStore", "AlertStore", "EvaluationHistoryStore",
                                                "RegistryStore", "TokenStore"])
        let requirements = try Self.requirements()
        #expect(Set(requirements).count == requirements.count, "requirements are keyed uniquely")
        let problems = Self.problems(requirements: requirements, table: conformanceCoverage)
        for problem in problems { Issue.record(Comment(rawValue: problem)) }
        let counts = protocols.map { "\($0.name) \($0.requirements.count)" }.joined(separator: ", ")
        print("store requirements: \(requirements.count) (\(counts)); covered: \(conformanceCoverage.count)")
    }

    /// What is wrong with `table` against `requirements`: requirements without a test, entries
    /// for requirements that no longer exist, and entries whose test does not exist or does not
    /// call the requirement.
    static func problems(requirements: [String], table: [String: String]) -> [String] {
        var out: [String] = []
        for r in requirements where table[r] == nil {
            out.append("requirement \(r) has no conformance test: add a test that calls it and an entry to `conformanceCoverage`")
        }
        for entry in table.keys.sorted() where !requirements.contains(entry) {
            out.append("`conformanceCoverage` lists \(entry), which is no requirement of the store protocols (any more): remove or rename the entry")
        }
        var sources: [String: String] = [:]
        for (requirement, test) in table.sorted(by: { $0.key < $1.key }) where requirements.contains(requirement) {
            let parts = test.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { out.append("\(requirement): '\(test)' is not Suite.test"); continue }
            let file = conformanceDirectory.appendingPathComponent(parts[0] + ".swift")
            guard let source = sources[parts[0]] ?? (try? String(contentsOf: file, encoding: .utf8)) else {
                out.append("\(requirement): no file \(parts[0]).swift for test \(test)"); continue
            }
            sources[parts[0]] = source
            guard source.contains("struct \(parts[0])"), let body = SwiftDeclarations.functionBody(named: parts[1], in: source) else {
                out.append("\(requirement): no test \(test)"); continue
            }
            let signature = String(requirement.split(separator: ".", maxSplits: 1)[1])
            if !SwiftDeclarations.calls(body, signature) { out.append("\(requirement): test \(test) does not call \(signature)") }
        }
        return out
    }

    @Test func theMetaTestNamesWhatIsMissingStaleOrNotCalled() throws {
        let requirements = try Self.requirements()
        // A requirement without an entry is named.
        var table = conformanceCoverage
        table["QueueStore.undoLast(reviewer:model:now:leaseMillis:)"] = nil
        #expect(Self.problems(requirements: requirements, table: table).map { $0.hasPrefix("requirement QueueStore.undoLast(reviewer:model:now:leaseMillis:) has no") } == [true])
        // An entry for something that is not a requirement is named.
        table = conformanceCoverage
        table["QueueStore.claim(model:reviewer:now:leaseMillis:)"] = "QueueConformanceTests.claimsAreOldestFirstAndNeverTwiceForOneReviewer"
        #expect(Self.problems(requirements: requirements, table: table).count == 1)
        // An entry whose test does not call the requirement, or does not exist, is named.
        table = conformanceCoverage
        table["TokenStore.revokeToken(key:now:actor:)"] = "StoreConformanceTests.firstPredictionTimeIsTheFirstHour"
        table["Store.verify()"] = "StoreConformanceTests.noSuchTest"
        #expect(Self.problems(requirements: requirements, table: table).count == 2)
    }

    @Test func theDeclarationParserReadsOverloadsClosuresAndProperties() {
        let source = #"""
        /// A { brace in a comment, and "quotes".
        public protocol Sample: Base, Sendable {
            /// Doc with `code(x:)`.
            func a(_ x: Int, named y: String) throws -> [String: Int]
            @discardableResult
            func a(_ x: Int) -> Int
            func b(model: String,
                   body: (_ p: Int, _ q: (Int, Int)) throws -> Void) rethrows
            func c<T>(value: Dictionary<String, T>, other: Int)
            var name: String { get }
            // func commented(out: Int)
        }
        let text = "public protocol Fake { func fake() }"
        """#
        let declared = SwiftDeclarations.protocols(in: source)
        #expect(declared.map(\.name) == ["Sample"])
        #expect(declared.first?.refines == ["Base", "Sendable"])
        #expect(declared.first?.requirements == ["a(_:named:)", "a(_:)", "b(model:body:)", "c(value:other:)", "name"])
        let body = #"""
            let s = "x(y: \("z("))"
            try store.claim(model: "m", reviewer: #"r"#, now: f(1, 2), leaseMillis: 3, limit: 4)
            try store.forEach(model: "m") { x in x }
        """#
        #expect(SwiftDeclarations.calls(body, "claim(model:reviewer:now:leaseMillis:limit:)"))
        #expect(!SwiftDeclarations.calls(body, "claim(model:reviewer:now:leaseMillis:)"))
        #expect(SwiftDeclarations.calls(body, "forEach(model:_:)"))
        #expect(!SwiftDeclarations.calls(body, "x(y:)"), "calls inside strings do not count")
    }
}
