namespace Strata.Downloads;

/// <summary>How a downloaded asset holds its binary: the binary itself, or inside a tar.gz or zip archive.</summary>
public enum ArchiveFormat { Raw, TarGz, Zip }
