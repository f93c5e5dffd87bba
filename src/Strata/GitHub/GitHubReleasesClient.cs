using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Polly;
using Polly.Retry;
using Strata.IO;

namespace Strata.GitHub;

public sealed class GitHubClientOptions
{
    public static readonly Uri DefaultApiBaseUrl = new("https://api.github.com/");

    /// <summary>API root; https://api.github.com/ by default (a GitHub Enterprise server: https://HOST/api/v3/).</summary>
    public Uri ApiBaseUrl { get; init; } = DefaultApiBaseUrl;

    /// <summary>Sent as "Authorization: Bearer"; never logged or put in exception messages.</summary>
    public string? Token { get; init; }

    /// <summary>Where ETags and bodies of earlier answers are kept for conditional requests; null: no cache.</summary>
    public string? CacheDirectory { get; init; }

    public string UserAgent { get; init; } = "strata-pin";

    /// <summary>Retries after a 5xx answer, a network fault or a short secondary rate limit.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First backoff delay; doubled on every retry.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest retry-after (secondary rate limit) that is waited for; longer ones fail.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Progress lines (requests, cache hits, remaining rate limit).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Options with the token from GITHUB_TOKEN when it is set.</summary>
    public static GitHubClientOptions FromEnvironment(string? cacheDirectory = null, Uri? apiBaseUrl = null,
        Action<string>? log = null) => new()
    {
        Log = log,
        Token = Environment.GetEnvironmentVariable("GITHUB_TOKEN") is { Length: > 0 } t ? t : null,
        CacheDirectory = cacheDirectory,
        ApiBaseUrl = apiBaseUrl ?? DefaultApiBaseUrl,
    };
}

/// <summary>
/// Reads GitHub releases over the REST API with pagination, conditional requests (ETag cache on
/// disk), rate-limit awareness and retries with exponential backoff on 5xx and network faults.
/// </summary>
public sealed partial class GitHubReleasesClient : IDisposable
{
    private readonly GitHubClientOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly string _base;

    public GitHubReleasesClient(GitHubClientOptions options, HttpClient? http = null)
    {
        _options = options;
        _ownsHttp = http is null;
        _http = http ?? new HttpClient { Timeout = TimeSpan.FromSeconds(100) };
        _base = options.ApiBaseUrl.AbsoluteUri.TrimEnd('/');
        _pipeline = BuildPipeline(options);
    }

    /// <summary>Remaining requests as GitHub last reported them (x-ratelimit-remaining), if known.</summary>
    public int? RateLimitRemaining { get; private set; }

    /// <summary>All releases of owner/name, every page (per_page=100, following Link rel="next").</summary>
    public async Task<IReadOnlyList<GitHubRelease>> ListReleasesAsync(string repository, CancellationToken ct = default)
    {
        var releases = new List<GitHubRelease>();
        string? url = $"{RepoUrl(repository)}/releases?per_page=100";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (url is not null)
        {
            if (!seen.Add(url))
                throw new GitHubApiException($"GitHub API: the pages of {repository}'s releases link back to {url}; stopping.", url);
            var page = await GetAsync(url, ct).ConfigureAwait(false)
                ?? throw new GitHubApiException($"GitHub API: repository {repository} not found ({url}).", url, HttpStatusCode.NotFound);
            releases.AddRange(ParseJson(page.Body, url, root =>
            {
                if (root.ValueKind != JsonValueKind.Array)
                    throw new FormatException($"expected a JSON array of releases, got {root.ValueKind}");
                return root.EnumerateArray().Select(GitHubRelease.FromJson).ToList();
            }));
            url = NextLink(page.Link, url);
        }
        return releases;
    }

    /// <summary>GitHub's "latest" release: the newest non-draft, non-prerelease by date, not necessarily the highest version.</summary>
    public async Task<GitHubRelease> GetLatestReleaseAsync(string repository, CancellationToken ct = default)
    {
        var url = $"{RepoUrl(repository)}/releases/latest";
        var page = await GetAsync(url, ct).ConfigureAwait(false)
            ?? throw new GitHubApiException($"GitHub API: {repository} has no latest release (or the repository does not exist): {url}", url, HttpStatusCode.NotFound);
        return ParseJson(page.Body, url, GitHubRelease.FromJson);
    }

    public async Task<GitHubRelease> GetReleaseByTagAsync(string repository, string tag, CancellationToken ct = default)
    {
        if (string.IsNullOrEmpty(tag))
            throw new ArgumentException("The tag is empty.", nameof(tag));
        var escaped = string.Join("/", tag.Split('/').Select(Uri.EscapeDataString));
        var url = $"{RepoUrl(repository)}/releases/tags/{escaped}";
        var page = await GetAsync(url, ct).ConfigureAwait(false)
            ?? throw new GitHubApiException($"GitHub API: {repository} has no release with tag '{tag}' ({url}).", url, HttpStatusCode.NotFound);
        return ParseJson(page.Body, url, GitHubRelease.FromJson);
    }

    public void Dispose()
    {
        if (_ownsHttp) _http.Dispose();
    }

    private string RepoUrl(string repository)
    {
        if (!RepositoryName().IsMatch(repository))
            throw new ArgumentException($"'{repository}' is not a GitHub repository name (owner/name).", nameof(repository));
        return $"{_base}/repos/{repository}";
    }

    private static T ParseJson<T>(string body, string url, Func<JsonElement, T> read)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            return read(doc.RootElement);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new GitHubApiException($"GitHub API: malformed JSON from {url}: {e.Message}", url, inner: e);
        }
    }

    private sealed record Page(string Body, string? Link);

    private sealed record CacheEntry(string Url, string ETag, string Body, string? Link);

    /// <summary>One GET with retries and the ETag cache; null on 404.</summary>
    private async Task<Page?> GetAsync(string url, CancellationToken ct)
    {
        var cached = ReadCache(url);
        HttpResponseMessage sent;
        try
        {
            sent = await _pipeline.ExecuteAsync(
                async token => await _http.SendAsync(NewRequest(url, cached?.ETag), HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false),
                ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            throw new GitHubApiException($"GitHub API: could not reach {url} after {_options.MaxRetries} retries: {e.Message}", url, inner: e);
        }
        using var response = sent;
        TrackRateLimit(response);

        if (response.StatusCode == HttpStatusCode.NotModified && cached is not null)
        {
            _options.Log?.Invoke($"GET {url}: not modified (cached)");
            return new Page(cached.Body, cached.Link);
        }
        if (response.StatusCode == HttpStatusCode.NotFound)
            return null;
        if (!response.IsSuccessStatusCode)
            throw await FailureAsync(response, url, ct).ConfigureAwait(false);

        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        var link = response.Headers.TryGetValues("Link", out var links) ? string.Join(", ", links) : null;
        _options.Log?.Invoke($"GET {url}: {(int)response.StatusCode}");
        if (response.Headers.ETag is { } etag)
            WriteCache(new CacheEntry(url, etag.ToString(), body, link));
        return new Page(body, link);
    }

    private HttpRequestMessage NewRequest(string url, string? etag)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("application/vnd.github+json");
        request.Headers.TryAddWithoutValidation("X-GitHub-Api-Version", "2022-11-28");
        request.Headers.UserAgent.ParseAdd(_options.UserAgent);
        if (_options.Token is { } token)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (etag is not null)
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        return request;
    }

    private void TrackRateLimit(HttpResponseMessage response)
    {
        if (Header(response, "x-ratelimit-remaining") is { } r && int.TryParse(r, CultureInfo.InvariantCulture, out var remaining))
            RateLimitRemaining = remaining;
    }

    private async Task<GitHubApiException> FailureAsync(HttpResponseMessage response, string url, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        string? message = null;
        try
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false));
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var m))
                message = m.GetString();
        }
        catch (JsonException) { }
        var said = message is null ? "" : $" GitHub says: {message}";

        if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests)
        {
            var tokenHint = _options.Token is null
                ? " Set GITHUB_TOKEN to a GitHub token for a higher limit (5,000 requests an hour instead of 60)."
                : "";
            if (Header(response, "x-ratelimit-remaining") == "0")
            {
                DateTimeOffset? reset = Header(response, "x-ratelimit-reset") is { } s && long.TryParse(s, CultureInfo.InvariantCulture, out var epoch)
                    ? DateTimeOffset.FromUnixTimeSeconds(epoch)
                    : null;
                var when = reset is { } at ? $"it resets at {at.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC" : "GitHub did not say when it resets";
                return new GitHubRateLimitException(
                    $"GitHub API rate limit exhausted ({status}) for {url}; {when}.{tokenHint}", url, response.StatusCode, reset);
            }
            if (RetryAfter(response) is { } wait)
                return new GitHubRateLimitException(
                    $"GitHub API secondary rate limit ({status}) for {url}: retry after {wait.TotalSeconds:0} s, longer than the {_options.MaxRetryAfter.TotalSeconds:0} s Strata waits.{tokenHint}",
                    url, response.StatusCode, DateTimeOffset.UtcNow + wait);
        }
        if (response.StatusCode == HttpStatusCode.Unauthorized)
            return new GitHubApiException($"GitHub API: 401 Unauthorized for {url}: the token in GITHUB_TOKEN was refused.{said}", url, response.StatusCode);
        return new GitHubApiException($"GitHub API: {status} {response.ReasonPhrase} for {url}.{said}", url, response.StatusCode);
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow is var d && d > TimeSpan.Zero ? d : TimeSpan.Zero,
            _ => null,
        };

    private static bool IsSecondaryLimit(HttpResponseMessage r) =>
        r.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests
        && Header(r, "x-ratelimit-remaining") != "0"
        && RetryAfter(r) is not null;

    private static ResiliencePipeline<HttpResponseMessage> BuildPipeline(GitHubClientOptions options)
    {
        if (options.MaxRetries <= 0) return ResiliencePipeline<HttpResponseMessage>.Empty;
        return new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = false,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome switch
                {
                    { Exception: HttpRequestException } => true,
                    // HttpClient's own timeout (not the caller's cancellation).
                    { Exception: TaskCanceledException } => !args.Context.CancellationToken.IsCancellationRequested,
                    { Result: { } r } => (int)r.StatusCode >= 500
                        || (IsSecondaryLimit(r) && RetryAfter(r) <= options.MaxRetryAfter),
                    _ => false,
                }),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Result is { } r && IsSecondaryLimit(r) ? RetryAfter(r) : null),
                OnRetry = args =>
                {
                    var what = args.Outcome.Exception is { } e ? e.GetType().Name : $"HTTP {(int)args.Outcome.Result!.StatusCode}";
                    options.Log?.Invoke($"GitHub API: {what}; retry {args.AttemptNumber + 1} of {options.MaxRetries} in {args.RetryDelay.TotalSeconds:0.###} s");
                    args.Outcome.Result?.Dispose();
                    return default;
                },
            })
            .Build();
    }

    /// <summary>The rel="next" URL of a Link header; it must stay on the API's host (the token goes with it).</summary>
    private string? NextLink(string? header, string current)
    {
        if (header is null) return null;
        foreach (Match m in LinkPart().Matches(header))
        {
            if (m.Groups["rel"].Value.Split(' ').Contains("next"))
            {
                var next = new Uri(new Uri(current), m.Groups["url"].Value);
                if (Uri.Compare(next, _options.ApiBaseUrl, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0)
                    throw new GitHubApiException($"GitHub API: the next page of {current} is on another server ({next.GetLeftPart(UriPartial.Authority)}); refusing to follow it.", current);
                return next.AbsoluteUri;
            }
        }
        return null;
    }

    private string? CachePath(string url) =>
        _options.CacheDirectory is { } dir
            ? Path.Combine(dir, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(url))) + ".json")
            : null;

    private CacheEntry? ReadCache(string url)
    {
        if (CachePath(url) is not { } path || !File.Exists(path)) return null;
        try
        {
            var entry = JsonSerializer.Deserialize<CacheEntry>(File.ReadAllText(path));
            return entry is not null && entry.Url == url && entry.ETag.Length > 0 ? entry : null;
        }
        catch (JsonException)
        {
            return null; // a damaged cache entry only costs a full request
        }
    }

    private void WriteCache(CacheEntry entry)
    {
        if (CachePath(entry.Url) is { } path)
            AtomicFile.WriteAllText(path, JsonSerializer.Serialize(entry));
    }

    [GeneratedRegex("""<(?<url>[^>]*)>\s*;\s*rel="(?<rel>[^"]*)"?""")]
    private static partial Regex LinkPart();

    [GeneratedRegex("^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")]
    private static partial Regex RepositoryName();
}
