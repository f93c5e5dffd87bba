using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Strata.Keys;

/// <summary>
/// The SHA-256 of each input file's bytes, read and hashed once per run whatever number of keys
/// include the file (the dotfiles are in every published image's key). Thread-safe.
/// </summary>
public sealed class FileDigests
{
    private readonly ConcurrentDictionary<string, string> _digests = new(StringComparer.Ordinal);

    /// <summary>The lower-case hex SHA-256 of the file's bytes.</summary>
    public string Of(InputFile file) => _digests.GetOrAdd(file.SourcePath, Hash);

    /// <summary>Hashes the files on every core (a large dotfiles tree is the slow part of a plan).</summary>
    public void Prefetch(IEnumerable<InputFile> files) =>
        Parallel.ForEach(files.Where(f => f.LinkTarget is null), file => Of(file));

    private static string Hash(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
