import Mustache
import VigilStore
