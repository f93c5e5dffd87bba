using System.Net;

namespace Strata.GitHub;

/// <summary>A GitHub API call failed. The message names the URL and never contains the token.</summary>
public class GitHubApiException(string message, HttpStatusCode? status = null, Exception? inner = null)
    : Exception(message, inner)
{
    public HttpStatusCode? StatusCode { get; } = status;
}

/// <summary>The API rate limit is exhausted (403 or 429); the message says when it is renewed, if GitHub said.</summary>
public sealed class GitHubRateLimitException(string message, HttpStatusCode status) : GitHubApiException(message, status);
