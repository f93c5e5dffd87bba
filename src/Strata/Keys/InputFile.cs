namespace Strata.Keys;

/// <summary>
/// One file of a build context. A symlink is kept as a link (never followed), so its target is
/// part of the key and of the context exactly as it is in the repository.
/// </summary>
/// <param name="ContextPath">Path inside the build context, '/'-separated.</param>
/// <param name="SourcePath">Where the bytes come from on this machine (not part of the key).</param>
public sealed record InputFile(string ContextPath, string SourcePath, bool Executable, string? LinkTarget)
{
}
