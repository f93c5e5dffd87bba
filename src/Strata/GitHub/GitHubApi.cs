using System.Net;
using Octokit;
using Octokit.Caching;
using Octokit.Internal;

namespace Strata.GitHub;

/// <summary>
/// The one GitHub client: Octokit over <see cref="GitHubHttpHandler"/> (retries, rate limits) and,
/// when a cache directory is given, <see cref="DiskResponseCache"/> (ETags, 304s). The API base URL
/// is used exactly as given: <c>new GitHubClient(ProductHeaderValue, Uri)</c> would rewrite any
/// host but github.com to HOST/api/v3/, so the <see cref="Connection"/> is built here.
/// </summary>
public sealed class GitHubApi : IDisposable
{
    private readonly HttpClientAdapter _http;

    public GitHubApi(GitHubClientOptions options)
    {
        Options = options;
        _http = new HttpClientAdapter(() => new GitHubHttpHandler(options));
        IHttpClient http = options.CacheDirectory is { } dir ? new CachingHttpClient(_http, new DiskResponseCache(dir)) : _http;
        var credentials = options.Token is { } token ? new Credentials(token, AuthenticationType.Bearer) : Credentials.Anonymous;
        Connection = new Connection(new ProductHeaderValue("strata"), options.ApiBaseUrl,
            new InMemoryCredentialStore(credentials), http, new SimpleJsonSerializer());
        Client = new GitHubClient(Connection);
    }

    public GitHubClientOptions Options { get; }
    /// <summary>For payloads Octokit's models lack (a release asset's <c>digest</c>), read with Strata's own model.</summary>
    public IConnection Connection { get; }
    /// <summary>Octokit's typed API (git data, pull requests, issues, repositories).</summary>
    public IGitHubClient Client { get; }

    /// <summary>The absolute URL of an API path (for messages).</summary>
    public string UrlOf(string path) => new Uri(Options.ApiBaseUrl, path).AbsoluteUri;

    /// <summary>
    /// Runs one Octokit call and turns its failures into <see cref="GitHubApiException"/> naming the
    /// method and URL. A 404 gives <paramref name="notFound"/>'s value when it is set.
    /// </summary>
    public async Task<T> CallAsync<T>(string method, string path, Func<Task<T>> call, Func<T>? notFound = null)
    {
        var url = UrlOf(path);
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (NotFoundException) when (notFound is not null)
        {
            return notFound();
        }
        catch (ApiException e)
        {
            throw Failure(e, method, url);
        }
        catch (Exception e) when (e is System.Runtime.Serialization.SerializationException or InvalidCastException or FormatException)
        {
            throw new GitHubApiException($"GitHub API: malformed JSON from {url}: {e.Message}", inner: e);
        }
    }

    /// <summary>A failure's message: status, URL and what GitHub said (never the token).</summary>
    public static GitHubApiException Failure(ApiException e, string method, string url)
    {
        var details = e.ApiError?.Errors?.Select(x => x.Message).Where(m => !string.IsNullOrEmpty(m)) ?? [];
        var message = string.Join("; ", new[] { e.ApiError?.Message }.Concat(details).Where(m => !string.IsNullOrEmpty(m)));
        var said = message.Length == 0 ? "" : $" GitHub says: {message}";
        var where = method == "GET" ? url : $"{method} {url}";
        if (e.StatusCode == HttpStatusCode.Unauthorized)
            return new GitHubApiException($"GitHub API: 401 Unauthorized for {where}: the token in GITHUB_TOKEN was refused.{said}", e.StatusCode, e);
        using var reason = new HttpResponseMessage(e.StatusCode);
        return new GitHubApiException($"GitHub API: {(int)e.StatusCode} {reason.ReasonPhrase} for {where}.{said}", e.StatusCode, e);
    }

    public void Dispose() => _http.Dispose();
}
