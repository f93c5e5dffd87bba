using System.Formats.Tar;
using Strata.Engine;

namespace Strata.Reproducible;

/// <summary>What normalising one layer did: its new diff id, and the paths it left out or rewrote.</summary>
public sealed record NormalisedLayer(string DiffId, IReadOnlyList<string> Dropped, IReadOnlyList<string> Rewritten);

/// <summary>
/// Rewrites one layer tar so that its bytes depend on its files only: every time clamped to the epoch, the files that
/// only record the build (<see cref="VolatileFiles"/>) left out or made stable, user and group names, access and change
/// times dropped, headers written by <see cref="StableTarWriter"/>. The entries keep the engine's order, which is
/// already a sorted walk of the layer's tree (the engine's and BuildKit's differs both walk sorted folders).
/// </summary>
public static class LayerNormaliser
{
    private const string XattrPrefix = "SCHILY.xattr.";

    public static async Task<NormalisedLayer> NormaliseAsync(Stream layer, Stream output, CancellationToken ct)
    {
        var epoch = ReproducibleEpoch.UnixSeconds;
        var dropped = new List<string>();
        var droppedSet = new HashSet<string>(StringComparer.Ordinal);
        var rewritten = new List<string>();
        using var writer = new StableTarWriter(output);
        await using var reader = new TarReader(layer, leaveOpen: true);
        while (await ImageArchive.NextEntryAsync(reader, ct) is { } entry)
        {
            var path = PathOf(entry.Name);
            var action = VolatileFiles.Of(path);
            // A hard link to a file left out would dangle: it goes too.
            if (entry.EntryType == TarEntryType.HardLink && droppedSet.Contains(PathOf(entry.LinkName))) action = VolatileAction.Drop;
            if (action == VolatileAction.Drop)
            {
                dropped.Add(path);
                droppedSet.Add(path);
                continue;
            }
            var posix = entry as PosixTarEntry;
            var xattrs = entry is PaxTarEntry pax
                ? pax.ExtendedAttributes.Where(a => a.Key.StartsWith(XattrPrefix, StringComparison.Ordinal))
                    .ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal)
                : new Dictionary<string, string>();
            // .NET reads PAX values as UTF-8: a binary attribute (a file capability with a byte over 0x7f) would come back altered.
            if (xattrs.FirstOrDefault(a => a.Value.Contains('\uFFFD')) is { Key: not null } binary)
                throw new InvalidDataException($"/{path}: its extended attribute {binary.Key[XattrPrefix.Length..]} is not UTF-8; the normaliser cannot keep it exactly.");
            var modified = Math.Min(entry.ModificationTime.ToUnixTimeSeconds(), epoch);
            Stream? data = entry.DataStream;
            var size = entry.Length;
            if (action == VolatileAction.RewriteShadow && entry.EntryType is TarEntryType.RegularFile or TarEntryType.V7RegularFile)
            {
                using var content = new MemoryStream();
                if (data is not null) await data.CopyToAsync(content, ct);
                var stable = VolatileFiles.StableShadow(content.ToArray());
                (data, size) = (new MemoryStream(stable), stable.Length);
                rewritten.Add(path);
            }
            var stableEntry = new StableTarEntry(entry.Name, entry.EntryType, entry.Mode, entry.Uid, entry.Gid, size, entry.LinkName ?? "",
                posix?.DeviceMajor ?? 0, posix?.DeviceMinor ?? 0, xattrs);
            await writer.WriteAsync(stableEntry, modified, size > 0 ? data : null, ct);
        }
        return new NormalisedLayer(await writer.FinishAsync(ct), dropped, rewritten);
    }

    /// <summary>A layer entry's path as <see cref="VolatileFiles"/> knows it: relative, no "./", no trailing '/'.</summary>
    public static string PathOf(string name)
    {
        var p = name.StartsWith("./", StringComparison.Ordinal) ? name[2..] : name;
        return p.TrimStart('/').TrimEnd('/');
    }
}
