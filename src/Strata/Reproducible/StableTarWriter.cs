using System.Formats.Tar;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Strata.Reproducible;

/// <summary>One layer entry as the normaliser writes it: everything but its time, which is the writer's to set.</summary>
public sealed record StableTarEntry(string Name, TarEntryType Type, UnixFileMode Mode, int Uid, int Gid, long Size, string LinkName,
    int DeviceMajor, int DeviceMinor, IReadOnlyDictionary<string, string> Xattrs);

/// <summary>
/// Writes a tar whose bytes depend on its entries only: USTAR headers with empty user and group names and one
/// modification time, and a PAX header (named "PaxHeaders.0/NAME", sorted records, no atime or ctime) only where
/// USTAR cannot hold a field (a long or non-ASCII name, an extended attribute, a big size or id). .NET's own
/// TarWriter names PAX headers after the process id, so two runs would differ. Hashes what it writes: the layer's diff id.
/// </summary>
public sealed class StableTarWriter(Stream output) : IDisposable
{
    private const int Block = 512;
    private const long MaxSize = 8_589_934_591;  // 11 octal digits
    private const int MaxId = 2_097_151;         // 7 octal digits
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private long _written;

    /// <summary>The tar's bytes so far.</summary>
    public long Length => _written;

    public async Task WriteAsync(StableTarEntry entry, long modified, Stream? data, CancellationToken ct)
    {
        var pax = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var name = entry.Name;
        if (!FitsUstar(name)) pax["path"] = name;
        if (!FitsUstar(entry.LinkName)) pax["linkpath"] = entry.LinkName;
        if (entry.Size > MaxSize) pax["size"] = entry.Size.ToString(CultureInfo.InvariantCulture);
        if (entry.Uid is < 0 or > MaxId) pax["uid"] = entry.Uid.ToString(CultureInfo.InvariantCulture);
        if (entry.Gid is < 0 or > MaxId) pax["gid"] = entry.Gid.ToString(CultureInfo.InvariantCulture);
        foreach (var (key, value) in entry.Xattrs) pax[key] = value;
        if (pax.Count > 0)
        {
            var records = PaxRecords(pax);
            var paxName = "PaxHeaders.0/" + BaseName(name);
            await WriteBlockAsync(Header(Truncate(paxName), TarEntryType.ExtendedAttributes, (UnixFileMode)0b110_100_100, 0, 0,
                records.Length, modified, "", 0, 0), ct);
            await WritePaddedAsync(records, ct);
        }
        var type = entry.Type == TarEntryType.V7RegularFile ? TarEntryType.RegularFile : entry.Type;
        await WriteBlockAsync(Header(Truncate(name), type, entry.Mode, Math.Clamp(entry.Uid, 0, MaxId), Math.Clamp(entry.Gid, 0, MaxId),
            Math.Min(entry.Size, MaxSize), modified, Truncate(entry.LinkName), entry.DeviceMajor, entry.DeviceMinor), ct);
        if (entry.Size == 0) return;
        if (data is null) throw new InvalidOperationException($"{name}: {entry.Size} bytes announced, no data.");
        var buffer = new byte[81920];
        long left = entry.Size;
        while (left > 0)
        {
            var n = await data.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), ct);
            if (n == 0) throw new EndOfStreamException($"{name}: the data ended {left} bytes early.");
            await WriteRawAsync(buffer.AsMemory(0, n), ct);
            left -= n;
        }
        await PadAsync(ct);
    }

    /// <summary>Tar's end (two zero blocks); returns the sha256 of the whole tar as "sha256:HEX".</summary>
    public async Task<string> FinishAsync(CancellationToken ct)
    {
        await WriteRawAsync(new byte[2 * Block], ct);
        await output.FlushAsync(ct);
        return "sha256:" + Convert.ToHexStringLower(_hash.GetHashAndReset());
    }

    public void Dispose() => _hash.Dispose();

    private static bool FitsUstar(string value) => Encoding.UTF8.GetByteCount(value) <= 100 && value.All(c => c is > '\0' and < (char)128);

    private static string Truncate(string value)
    {
        var ascii = new string(value.Select(c => c < 128 ? c : '_').ToArray());
        return ascii.Length <= 100 ? ascii : ascii[..100];
    }

    private static string BaseName(string name)
    {
        var trimmed = name.TrimEnd('/');
        return trimmed[(trimmed.LastIndexOf('/') + 1)..];
    }

    /// <summary>"LEN key=value\n" records, LEN counting the whole record, its own digits included.</summary>
    internal static byte[] PaxRecords(IEnumerable<KeyValuePair<string, string>> records)
    {
        var all = new List<byte>();
        foreach (var (key, value) in records)
        {
            var rest = Encoding.UTF8.GetByteCount($" {key}={value}\n");
            var length = rest + 1;
            while (length.ToString(CultureInfo.InvariantCulture).Length + rest != length) length++;
            all.AddRange(Encoding.UTF8.GetBytes($"{length} {key}={value}\n"));
        }
        return [.. all];
    }

    private static byte[] Header(string name, TarEntryType type, UnixFileMode mode, int uid, int gid, long size, long modified,
        string linkName, int major, int minor)
    {
        var h = new byte[Block];
        Ascii(h, 0, 100, name);
        Octal(h, 100, 8, (long)mode);
        Octal(h, 108, 8, uid);
        Octal(h, 116, 8, gid);
        Octal(h, 124, 12, size);
        Octal(h, 136, 12, modified);
        h[156] = (byte)type;
        Ascii(h, 157, 100, linkName);
        Ascii(h, 257, 6, "ustar\0");
        Ascii(h, 263, 2, "00");
        if (type is TarEntryType.CharacterDevice or TarEntryType.BlockDevice)
        {
            Octal(h, 329, 8, major);
            Octal(h, 337, 8, minor);
        }
        for (var i = 148; i < 156; i++) h[i] = (byte)' ';
        var sum = h.Sum(b => (long)b);
        Ascii(h, 148, 8, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
        return h;
    }

    private static void Ascii(byte[] h, int at, int width, string value)
    {
        var bytes = Encoding.ASCII.GetBytes(value);
        Array.Copy(bytes, 0, h, at, Math.Min(width, bytes.Length));
    }

    private static void Octal(byte[] h, int at, int width, long value) =>
        Ascii(h, at, width, Convert.ToString(value, 8).PadLeft(width - 1, '0') + "\0");

    private Task WriteBlockAsync(byte[] block, CancellationToken ct) => WriteRawAsync(block, ct).AsTask();

    private async Task WritePaddedAsync(byte[] data, CancellationToken ct)
    {
        await WriteRawAsync(data, ct);
        await PadAsync(ct);
    }

    private async Task PadAsync(CancellationToken ct)
    {
        var rest = (int)(_written % Block);
        if (rest != 0) await WriteRawAsync(new byte[Block - rest], ct);
    }

    private async ValueTask WriteRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct)
    {
        _hash.AppendData(bytes.Span);
        _written += bytes.Length;
        await output.WriteAsync(bytes, ct);
    }
}
