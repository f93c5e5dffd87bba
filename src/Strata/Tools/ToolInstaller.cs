using Strata.Downloads;

namespace Strata.Tools;

/// <summary>Places a pinned tool's binary for one architecture, e.g. into an image build context.</summary>
public static class ToolInstaller
{
    /// <summary>
    /// Fetches the locked asset of <paramref name="tool"/> for <paramref name="arch"/> through the cache
    /// (verified by sha256) and writes its binary to <paramref name="destination"/> with mode 0755.
    /// </summary>
    public static async Task<string> PlaceAsync(BinaryTool tool, ToolLock lockFile, string arch, AssetCache cache,
        string destination, CancellationToken ct = default)
    {
        var locked = lockFile.Get(tool.Name);
        var asset = locked.Asset(tool.Name, arch);
        var cached = await cache.FetchAsync(tool.Name, arch, asset.Url, asset.Sha256, ct).ConfigureAwait(false);
        AssetExtractor.Extract(tool.Name, cached, tool.Format, tool.BinaryPathIn(locked.Version, locked.Tag, arch), destination);
        return destination;
    }
}
