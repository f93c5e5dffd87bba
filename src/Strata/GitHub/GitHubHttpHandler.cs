using System.Globalization;
using System.Net;
using Polly;
using Polly.Retry;

namespace Strata.GitHub;

/// <summary>
/// The HTTP handler under Octokit: retries 5xx answers, network faults and short secondary rate
/// limits (Polly), and turns both rate-limit answers (403 and 429, with Retry-After or
/// X-RateLimit-Reset) into <see cref="GitHubRateLimitException"/>; Octokit itself recognises only
/// the 403 forms, by their wording.
/// </summary>
internal sealed class GitHubHttpHandler : DelegatingHandler
{
    private readonly GitHubClientOptions _options;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public GitHubHttpHandler(GitHubClientOptions options)
        : base(new SocketsHttpHandler { AllowAutoRedirect = false })
    {
        _options = options;
        _pipeline = BuildPipeline(options);
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        request.Headers.TryAddWithoutValidation("X-GitHub-Api-Version", "2022-11-28");
        var url = request.RequestUri!.AbsoluteUri;
        var repeatable = IsRepeatable(request);
        HttpResponseMessage response;
        try
        {
            var pipeline = repeatable ? _pipeline : ResiliencePipeline<HttpResponseMessage>.Empty;
            response = await pipeline.ExecuteAsync(
                async (token) => await base.SendAsync(request, token).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            throw new GitHubApiException($"GitHub API: could not reach {url} after {(repeatable ? _options.MaxRetries : 0)} retries: {e.Message}", inner: e);
        }
        _options.Log?.Invoke(response.StatusCode == HttpStatusCode.NotModified
            ? $"{request.Method} {url}: not modified (cached)"
            : $"{request.Method} {url}: {(int)response.StatusCode}");
        if (response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.TooManyRequests && RateLimit(response, url) is { } limit)
        {
            response.Dispose();
            throw limit;
        }
        return response;
    }

    private GitHubRateLimitException? RateLimit(HttpResponseMessage response, string url)
    {
        var status = (int)response.StatusCode;
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
                $"GitHub API rate limit exhausted ({status}) for {url}; {when}.{tokenHint}", response.StatusCode);
        }
        if (RetryAfter(response) is { } wait)
            return new GitHubRateLimitException(
                $"GitHub API secondary rate limit ({status}) for {url}: retry after {wait.TotalSeconds:0} s, longer than the {_options.MaxRetryAfter.TotalSeconds:0} s Strata waits.{tokenHint}",
                response.StatusCode);
        return null; // a plain 403 (permissions): Octokit reports it
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

    /// <summary>
    /// Whether sending the request again cannot do anything twice: reads, updates, and git objects,
    /// which are stored by their content. Creating a pull request or a comment is not retried.
    /// </summary>
    private static bool IsRepeatable(HttpRequestMessage request) =>
        request.Method != HttpMethod.Post
        || request.RequestUri!.AbsolutePath.TrimEnd('/').Split('/') is [.., "git", "blobs" or "trees" or "commits"];

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
}
