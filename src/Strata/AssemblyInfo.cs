// Strata drives a Linux container engine and reads Unix file modes: Linux and macOS hosts only.
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
