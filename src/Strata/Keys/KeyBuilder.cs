using System.Security.Cryptography;
using System.Text;

namespace Strata.Keys;

/// <summary>
/// SHA-256 over named, length-prefixed fields, so that no two different sequences of fields can
/// produce the same byte stream ("ab"+"c" and "a"+"bc" hash differently).
/// </summary>
public sealed class KeyBuilder : IDisposable
{
    // Bump when the key's recipe changes, so old images are not mistaken for new ones. (A file's
    // content entering as its SHA-256 under ".sha256", not as bytes under ".bytes", changed every
    // file key already: no bump, so keys without files, such as the base OS tag, stay.)
    private const string Version = "strata-key-v1";
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public KeyBuilder() => Add("version", Version);

    public KeyBuilder Add(string field, string value) => Add(field, Encoding.UTF8.GetBytes(value));

    public KeyBuilder Add(string field, ReadOnlySpan<byte> value)
    {
        Frame(Encoding.UTF8.GetBytes(field));
        Frame(value);
        return this;
    }

    /// <summary>Adds a file's bytes streamed from disk (no full copy in memory).</summary>
    public KeyBuilder AddFileContent(string field, string path)
    {
        Frame(Encoding.UTF8.GetBytes(field));
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        Span<byte> length = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(length, stream.Length);
        _hash.AppendData(length);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer)) > 0) _hash.AppendData(buffer, 0, read);
        return this;
    }

    /// <summary>Adds each file's path, kind, executable bit, link target and content digest, in path order.</summary>
    /// <param name="digests">The run's digests, so a file in many keys is read once (null: hash here).</param>
    public KeyBuilder AddFiles(string field, IEnumerable<InputFile> files, FileDigests? digests = null)
    {
        digests ??= new FileDigests();
        foreach (var file in files.OrderBy(f => f.ContextPath, StringComparer.Ordinal))
        {
            Add(field + ".path", file.ContextPath);
            if (file.LinkTarget is { } target)
            {
                Add(field + ".symlink", target);
            }
            else
            {
                Add(field + ".mode", file.Executable ? "755" : "644");
                Add(field + ".sha256", digests.Of(file));
            }
        }
        return this;
    }

    /// <summary>Adds each generated file's path, executable bit and content digest, in path order.</summary>
    public KeyBuilder AddGenerated(string field, IEnumerable<GeneratedFile> files)
    {
        foreach (var file in files.OrderBy(f => f.ContextPath, StringComparer.Ordinal))
        {
            Add(field + ".path", file.ContextPath);
            Add(field + ".mode", file.Executable ? "755" : "644");
            Add(field + ".sha256", file.Sha256);
        }
        return this;
    }

    public KeyBuilder AddMap(string field, IReadOnlyDictionary<string, string> map)
    {
        foreach (var (k, v) in map.OrderBy(p => p.Key, StringComparer.Ordinal))
            Add(field + "." + k, v);
        return this;
    }

    /// <summary>The key: lower-case hex SHA-256.</summary>
    public string Finish() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    public void Dispose() => _hash.Dispose();

    private void Frame(ReadOnlySpan<byte> bytes)
    {
        Span<byte> length = stackalloc byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(length, bytes.Length);
        _hash.AppendData(length);
        _hash.AppendData(bytes);
    }
}
