namespace Strata.IO;

/// <summary>Finds a program as a shell does: the first file of that name in the PATH's folders.</summary>
internal static class Executables
{
    /// <param name="path">The PATH to search; null: this process's.</param>
    /// <param name="alsoIn">Folders searched after the PATH (sbin folders a non-root PATH may lack).</param>
    public static string? Find(string name, string? path = null, IEnumerable<string>? alsoIn = null) =>
        (path ?? Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Concat(alsoIn ?? [])
        .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
