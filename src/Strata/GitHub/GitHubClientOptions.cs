namespace Strata.GitHub;

public sealed class GitHubClientOptions
{
    public static readonly Uri DefaultApiBaseUrl = new("https://api.github.com/");

    /// <summary>API root, used exactly as given: https://api.github.com/ by default (GitHub Enterprise: https://HOST/api/v3/).</summary>
    public Uri ApiBaseUrl { get; init; } = DefaultApiBaseUrl;

    /// <summary>Sent as "Authorization: Bearer"; never logged, written or put in exception messages.</summary>
    public string? Token { get; init; }

    /// <summary>Where ETags and bodies of earlier answers are kept for conditional requests; null: no cache.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Retries after a 5xx answer, a network fault or a short secondary rate limit.</summary>
    public int MaxRetries { get; init; } = 4;

    /// <summary>First backoff delay; doubled on every retry.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest retry-after (secondary rate limit) that is waited for; longer ones fail.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Progress lines (requests, cache hits, retries).</summary>
    public Action<string>? Log { get; init; }

    /// <summary>
    /// Options from the command line and the environment: the token from GITHUB_TOKEN, the API
    /// from <paramref name="apiBaseUrl"/> or else GITHUB_API_URL (as GitHub Actions sets it).
    /// </summary>
    public static GitHubClientOptions FromEnvironment(string? cacheDirectory = null, string? apiBaseUrl = null,
        Action<string>? log = null)
    {
        var api = apiBaseUrl is { Length: > 0 } ? apiBaseUrl : Environment.GetEnvironmentVariable("GITHUB_API_URL");
        return new GitHubClientOptions
        {
            Log = log,
            Token = Environment.GetEnvironmentVariable("GITHUB_TOKEN") is { Length: > 0 } t ? t : null,
            CacheDirectory = cacheDirectory,
            ApiBaseUrl = api is { Length: > 0 } ? new Uri(api.TrimEnd('/') + "/") : DefaultApiBaseUrl,
        };
    }
}
