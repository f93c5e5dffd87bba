using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Octokit;
using Octokit.Caching;
using Octokit.Internal;
using Strata.IO;

namespace Strata.GitHub;

/// <summary>
/// Octokit's response cache, kept on disk: the body, headers and ETag of every successful GET,
/// one file per URL, so the next run asks with If-None-Match and a 304 costs no rate limit.
/// Requests (and so the token) are never stored; a damaged entry only costs a full request.
/// </summary>
internal sealed class DiskResponseCache(string directory) : IResponseCache
{
    private sealed record Entry(string Url, string ETag, int Status, string? ContentType, Dictionary<string, string> Headers, string Body);

    public Task<CachedResponse.V1> GetAsync(IRequest request)
    {
        var url = Url(request);
        var path = PathFor(url);
        if (!File.Exists(path)) return Task.FromResult<CachedResponse.V1>(null!);
        try
        {
            var entry = JsonSerializer.Deserialize<Entry>(File.ReadAllText(path));
            if (entry is null || entry.Url != url || entry.ETag.Length == 0) return Task.FromResult<CachedResponse.V1>(null!);
            // Octokit reads the ETag from ApiInfo and rebuilds links and the rest from the headers.
            var info = new ApiInfo(new Dictionary<string, Uri>(), [], [], entry.ETag, new RateLimit());
            return Task.FromResult(new CachedResponse.V1(entry.Body, entry.Headers, info, (HttpStatusCode)entry.Status, entry.ContentType));
        }
        catch (JsonException)
        {
            return Task.FromResult<CachedResponse.V1>(null!);
        }
    }

    public Task SetAsync(IRequest request, CachedResponse.V1 cachedResponse)
    {
        // Only text bodies with an ETag are worth keeping: the ETag is what makes the next request conditional.
        if (cachedResponse.Body is string body && cachedResponse.ApiInfo?.Etag is { Length: > 0 } etag)
        {
            var url = Url(request);
            var headers = cachedResponse.Headers.ToDictionary(h => h.Key, h => h.Value);
            AtomicFile.WriteAllText(PathFor(url),
                JsonSerializer.Serialize(new Entry(url, etag, (int)cachedResponse.StatusCode, cachedResponse.ContentType, headers, body)));
        }
        return Task.CompletedTask;
    }

    private static string Url(IRequest request) => new Uri(request.BaseAddress, request.Endpoint).AbsoluteUri;

    private string PathFor(string url) =>
        Path.Combine(directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url))) + ".json");
}
