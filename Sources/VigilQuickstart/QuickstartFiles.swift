import Foundation
import VigilCore

/// The workspace files the quickstart writes: `vigil.yaml` (the store and two receivers on the
/// local webhook receiver) and the detector's policy — a complete, commented example of a
/// detector policy with sampling, evaluation, drift, alerts, a schedule, retraining and the gate.
public enum QuickstartFiles {
    /// The model the quickstart watches.
    public static let model = "shapes-detector"

    /// `vigil.yaml`, with receivers on `receiverURL` (the quickstart's local receiver).
    public static func config(receiverURL: String) -> String {
        """
        # Written by `vigil quickstart`. The receivers point at the local webhook receiver the
        # quickstart ran; replace their URLs with your Slack incoming webhook and your own endpoint.
        store: sqlite:.vigil/vigil.db
        policies: policies
        timezone: UTC
        receivers:
          - name: team-slack
            kind: slack
            url: \(receiverURL)/slack
          - name: signed-webhook
            kind: webhook
            url: \(receiverURL)/webhook
            secret: whsec_cXVpY2tzdGFydC1zaWduaW5nLWtleQ==

        """
    }

    /// The policy of ``model`` for `settings`.
    public static func policy(_ s: QuickstartSettings) -> String {
        """
        # The quickstart's detector (written by `vigil quickstart`; every key: docs/policies.md).
        model: \(model)
        task: detection
        classes: [circle, square, triangle, cross, diamond]
        evaluation:
          window: 1d                 # each scheduled evaluation judges one day of traffic
          label_delay: 1h            # ... the day that ended an hour before the run
          min_reviewed_per_class: 12 # fewer reviewed boxes of a class: insufficient evidence
          iou_threshold: 0.5
          score_threshold: 0.15      # the operating point (this detector's scores run low: objectness × class probability)
        thresholds:
          - {metric: map50, warning: 0.7, critical: 0.5}
          - {metric: recall, class: "*", warning: 0.5, critical: 0.3}
        drift:
          reference: previous_window
          alpha: 0.01
        sampling:
          daily_budget: \(s.dailyBudget)          # review items per day
          window: 1d
          seed: \(s.seed)
          strategies:
            - {strategy: uniform, share: 1}
        schedule:
          - {job: sample, cron: "0 0 * * *"}          # fill the review queue at midnight
          - {job: evaluate, cron: "0 1 * * *"}        # judge yesterday at 01:00
          - {job: retrain-check, cron: "0 2 * * 1"}   # Mondays 02:00: retrain if the trigger holds
        alerts:
          repeat_interval: 3d         # a still-firing alert is sent again after 3 days
          send_resolved: true
          routes:                     # chat hears of critical findings only; warnings stay in
            - receivers: [team-slack, signed-webhook]  # the report and `vigil alerts list`
              severity: [critical]
        retraining:
          trigger: {severity: critical, min_new_labels: \(s.minNewLabels), cooldown: 3d}
          trainer: embedded          # fine-tune the champion on the embedded detector
          window: 6d                 # train and test on the reviewed items of the last 6 days
          holdout_fraction: 0.3      # the newest 30% of them are the holdout
          timeout: 30m
          embedded: {epochs: \(s.fineTuneEpochs), learning_rate: 0.003, replay: \(s.replay), seed: \(s.seed), workers: 2}
        gate:
          primary_metric: map50
          min_improvement: 0.02
          alpha: 0.05
          max_class_drop: 0.05
          min_holdout_per_class: \(s.minHoldoutPerClass)
          bootstrap_resamples: 500
          promote: auto

        """
    }
}
