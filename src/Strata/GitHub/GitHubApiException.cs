using System.Net;

namespace Strata.GitHub;

/// <summary>A GitHub API call failed. The message names the URL and never contains the token.</summary>
public class GitHubApiException(string message, string url, HttpStatusCode? status = null, Exception? inner = null)
    : Exception(message, inner)
{
    public string Url { get; } = url;
    public HttpStatusCode? StatusCode { get; } = status;
}

/// <summary>The API rate limit is exhausted (403 or 429); <see cref="ResetsAt"/> says when it is renewed, if known.</summary>
public sealed class GitHubRateLimitException(string message, string url, HttpStatusCode status, DateTimeOffset? resetsAt)
    : GitHubApiException(message, url, status)
{
    public DateTimeOffset? ResetsAt { get; } = resetsAt;
}
