using System.Security.Cryptography;
using Strata.IO;

namespace Strata.Downloads;

/// <summary>A download failed (network, HTTP status, truncated body or wrong sha256). Nothing was left in the cache.</summary>
public class AssetDownloadException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The downloaded bytes do not have the pinned sha256.</summary>
public sealed class ChecksumMismatchException(string tool, string arch, string url, string expected, string actual)
    : AssetDownloadException($"sha256 mismatch for tool '{tool}' ({arch}) downloaded from {url}: expected {expected}, got {actual}. The file was discarded.");

/// <summary>
/// Downloaded release assets, stored once under <c>&lt;cache&gt;/sha256/&lt;hex&gt;</c> by content hash.
/// A download is streamed to a temporary file while it is hashed, checked against its length and
/// the expected sha256, and only then renamed into place; a failed download leaves nothing behind.
/// With a warm cache no network is used at all.
/// </summary>
public sealed class AssetCache : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly Action<string>? _log;
    private readonly Uri? _mirror;

    /// <param name="cacheDirectory">The cache root; assets go to its <c>sha256/</c> folder.</param>
    /// <param name="mirror">
    /// Optional download mirror. When set, every download URL is rewritten to
    /// <c>&lt;mirror&gt;/&lt;host&gt;/&lt;path&gt;</c>: the original URL's authority (host, and port when it
    /// is not the scheme's default) becomes the first path segment under the mirror, followed by the
    /// original path and query. Example: with mirror <c>https://mirror.example/strata</c>,
    /// <c>https://get.helm.sh/helm-v3.19.1-linux-amd64.tar.gz</c> is fetched from
    /// <c>https://mirror.example/strata/get.helm.sh/helm-v3.19.1-linux-amd64.tar.gz</c>. The sha256 is
    /// still checked, so a mirror needs no trust.
    /// </param>
    public AssetCache(string cacheDirectory, Uri? mirror = null, HttpClient? http = null, Action<string>? log = null)
    {
        CacheDirectory = Path.GetFullPath(cacheDirectory);
        _mirror = mirror;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromMinutes(10) };
        _log = log;
    }

    public string CacheDirectory { get; }

    public string PathFor(string sha256) => Path.Combine(CacheDirectory, "sha256", CheckHex(sha256));

    /// <summary>The URL actually fetched: <paramref name="url"/>, or its mirror form (see the constructor).</summary>
    private Uri Resolve(string url) => _mirror is null ? new Uri(url) : RewriteForMirror(new Uri(url), _mirror);

    /// <summary>Rewrites <c>scheme://host[:port]/path?query</c> to <c>&lt;mirror&gt;/host[:port]/path?query</c>.</summary>
    public static Uri RewriteForMirror(Uri url, Uri mirror)
    {
        var root = mirror.AbsoluteUri.TrimEnd('/');
        return new Uri($"{root}/{url.Authority}{url.PathAndQuery}");
    }

    /// <summary>
    /// The cached file of an asset with a known sha256, downloading it first when it is not cached.
    /// A sha256 mismatch throws <see cref="ChecksumMismatchException"/> naming tool, arch, expected and actual.
    /// </summary>
    public async Task<string> FetchAsync(string tool, string arch, string url, string sha256, CancellationToken ct = default)
    {
        var expected = CheckHex(sha256.ToLowerInvariant());
        var target = PathFor(expected);
        if (File.Exists(target))
        {
            _log?.Invoke($"{tool} ({arch}): cached {expected}");
            return target;
        }
        var (temp, actual) = await DownloadToTempAsync(tool, arch, url, ct).ConfigureAwait(false);
        if (actual != expected)
        {
            AtomicFile.TryDelete(temp);
            throw new ChecksumMismatchException(tool, arch, url, expected, actual);
        }
        return Commit(temp, target);
    }

    /// <summary>Downloads an asset whose sha256 is not known in advance and stores it; returns the path and the sha256.</summary>
    public async Task<(string Path, string Sha256)> DownloadAndHashAsync(string tool, string arch, string url, CancellationToken ct = default)
    {
        var (temp, actual) = await DownloadToTempAsync(tool, arch, url, ct).ConfigureAwait(false);
        return (Commit(temp, PathFor(actual)), actual);
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private static string Commit(string temp, string target)
    {
        if (File.Exists(target))
            AtomicFile.TryDelete(temp); // same content, stored meanwhile
        else
            File.Move(temp, target, overwrite: true);
        return target;
    }

    private async Task<(string Temp, string Sha256)> DownloadToTempAsync(string tool, string arch, string url, CancellationToken ct)
    {
        var source = Resolve(url);
        var directory = Path.Combine(CacheDirectory, "sha256");
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".download.{Guid.NewGuid():N}.tmp");
        _log?.Invoke($"{tool} ({arch}): downloading {source}");
        try
        {
            using var response = await _http.GetAsync(source, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new AssetDownloadException($"download of tool '{tool}' ({arch}) from {source} failed: HTTP {(int)response.StatusCode} {response.ReasonPhrase}.");
            var declared = response.Content.Headers.ContentLength;
            long received = 0;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var output = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            await using (var input = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await input.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await output.WriteAsync(buffer.AsMemory(0, read), ct).ConfigureAwait(false);
                    received += read;
                }
                await output.FlushAsync(ct).ConfigureAwait(false);
                output.Flush(flushToDisk: true);
            }
            if (declared is { } length && length != received)
                throw new AssetDownloadException($"download of tool '{tool}' ({arch}) from {source} was truncated: {received} of {length} bytes.");
            return (temp, Convert.ToHexStringLower(hash.GetHashAndReset()));
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            AtomicFile.TryDelete(temp);
            throw new AssetDownloadException($"download of tool '{tool}' ({arch}) from {source} failed (connection cut or truncated): {e.Message}", e);
        }
        catch
        {
            AtomicFile.TryDelete(temp);
            throw;
        }
    }

    private static string CheckHex(string sha256) =>
        Sha256Hex.IsValid(sha256) ? sha256 : throw new ArgumentException($"'{sha256}' is not a sha256 (64 lower-case hex digits).", nameof(sha256));
}
