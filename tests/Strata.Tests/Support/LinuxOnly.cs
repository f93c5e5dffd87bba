// The library is Linux/macOS only (see src/Strata/AssemblyInfo.cs); so are its tests.
// (The attribute allows several declarations, so another file saying the same does no harm.)
[assembly: System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
