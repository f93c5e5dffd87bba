using Microsoft.AspNetCore.Http;
using Xunit;
using System.Net;
using Strata.GitHub;
using Strata.Tests.Support;

namespace Strata.Tests.GitHub;

public sealed class GitHubReleasesClientTests : IAsyncLifetime
{
    private const string Token = "ghp_SECRETtoken0123456789abcdefSECRET";
    private StandInServer _server = null!;
    private readonly TempRepo _temp = new();

    public async Task InitializeAsync() => _server = await StandInServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        foreach (var api in _apis) api.Dispose();
        _temp.Dispose();
    }

    private readonly List<GitHubApi> _apis = [];

    private GitHubReleasesClient Client(string? token = null, int retries = 3, bool cache = false)
    {
        var api = new GitHubApi(new GitHubClientOptions
        {
            ApiBaseUrl = new Uri(_server.BaseUrl + "/"),
            Token = token,
            CacheDirectory = cache ? _temp.Path("etags") : null,
            MaxRetries = retries,
            RetryDelay = TimeSpan.FromMilliseconds(1),
            MaxRetryAfter = TimeSpan.FromSeconds(5),
        });
        _apis.Add(api);
        return new GitHubReleasesClient(api);
    }

    [Fact]
    public async Task Lists_every_page_by_following_the_Link_header()
    {
        // The three real PyGithub pages, with their recorded Link headers pointed at the stand-in.
        const string first = "/repos/PyGithub/PyGithub/releases?per_page=100";
        var page2 = "/repositories/3544490/releases?per_page=100&page=2";
        var page3 = "/repositories/3544490/releases?per_page=100&page=3";
        _server.Json(first, Fixtures.GitHub("PyGithub__PyGithub__releases_per_page10_page1.json"),
            headers: r => r.Headers["Link"] = $"<{_server.Url(page2)}>; rel=\"next\", <{_server.Url(page3)}>; rel=\"last\"");
        _server.Json(page2, Fixtures.GitHub("PyGithub__PyGithub__releases_per_page10_page2.json"),
            headers: r => r.Headers["Link"] = $"<{_server.Url(first)}>; rel=\"prev\", <{_server.Url(page3)}>; rel=\"next\", <{_server.Url(page3)}>; rel=\"last\", <{_server.Url(first)}>; rel=\"first\"");
        _server.Json(page3, Fixtures.GitHub("PyGithub__PyGithub__releases_per_page10_page3.json"),
            headers: r => r.Headers["Link"] = $"<{_server.Url(page2)}>; rel=\"prev\", <{_server.Url(first)}>; rel=\"first\"");

        var client = Client();
        var releases = await client.ListReleasesAsync("PyGithub/PyGithub");

        Assert.Equal(30, releases.Count);
        Assert.Equal("v1.55", releases[0].TagName);
        Assert.Equal("v1.39", releases[^1].TagName);
        Assert.Equal(4, releases.Count(r => r.Prerelease));
        Assert.Equal(1, _server.Count(first));
        Assert.Equal(1, _server.Count(page2));
        Assert.Equal(1, _server.Count(page3));
    }

    [Fact]
    public async Task The_API_URL_is_used_exactly_as_given_not_rewritten_to_api_v3()
    {
        // Octokit's GitHubClient(ProductHeaderValue, Uri) would send these to /api/v3/repos/...
        _server.Json("/ghe/api/v3/repos/o/r/releases?per_page=100", Fixtures.Releases(Fixtures.Release("v1.0.0")));
        _server.Json("/custom/repos/o/r/releases?per_page=100", Fixtures.Releases(Fixtures.Release("v2.0.0")));
        using var enterprise = new GitHubApi(new GitHubClientOptions { ApiBaseUrl = new Uri(_server.Url("/ghe/api/v3/")) });
        using var custom = new GitHubApi(new GitHubClientOptions { ApiBaseUrl = new Uri(_server.Url("/custom/")) });

        Assert.Equal("v1.0.0", (await new GitHubReleasesClient(enterprise).ListReleasesAsync("o/r")).Single().TagName);
        Assert.Equal("v2.0.0", (await new GitHubReleasesClient(custom).ListReleasesAsync("o/r")).Single().TagName);
        Assert.DoesNotContain(_server.Requests, r => r.PathAndQuery.StartsWith("/api/v3/") || r.PathAndQuery.Contains("/custom/api/v3/"));
    }

    [Fact]
    public async Task A_next_link_to_another_server_is_not_followed_with_the_token()
    {
        _server.Json("/repos/o/r/releases?per_page=100", "[]",
            headers: r => r.Headers["Link"] = "<https://evil.example/steal?page=2>; rel=\"next\"");
        var client = Client(Token);
        var e = await Assert.ThrowsAsync<GitHubApiException>(() => client.ListReleasesAsync("o/r"));
        Assert.Contains("another server", e.Message);
    }

    [Fact]
    public async Task Sends_If_None_Match_and_uses_the_cached_body_on_304()
    {
        const string path = "/repos/sxyazi/yazi/releases?per_page=100";
        const string etag = "\"W/abc123\"";
        var body = Fixtures.Releases(Fixtures.Release("v25.5.31"));
        _server.Map(path, async ctx =>
        {
            if (ctx.Request.Headers.IfNoneMatch.ToString() == etag)
            {
                ctx.Response.StatusCode = 304;
                return;
            }
            ctx.Response.Headers.ETag = etag;
            ctx.Response.ContentType = "application/json; charset=utf-8";
            await ctx.Response.WriteAsync(body);
        });

        Assert.Equal("v25.5.31", (await Client(Token, cache: true).ListReleasesAsync("sxyazi/yazi")).Single().TagName);
        Assert.Equal("v25.5.31", (await Client(Token, cache: true).ListReleasesAsync("sxyazi/yazi")).Single().TagName);
        var stored = Directory.GetFiles(_temp.Path("etags"));
        Assert.Single(stored);
        Assert.DoesNotContain("SECRET", File.ReadAllText(stored[0]));

        var seen = _server.Requests.Where(r => r.PathAndQuery == path).ToList();
        Assert.Equal(2, seen.Count);
        Assert.Null(seen[0].Header("If-None-Match"));
        Assert.Equal(etag, seen[1].Header("If-None-Match"));
    }

    [Fact]
    public async Task Exhausted_rate_limit_fails_with_the_reset_time_and_suggests_a_token()
    {
        var reset = new DateTimeOffset(2031, 3, 4, 5, 6, 7, TimeSpan.Zero);
        _server.Json("/repos/helm/helm/releases?per_page=100",
            """{"message":"API rate limit exceeded for 127.0.0.1.","documentation_url":"https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"}""",
            status: 403, headers: r =>
            {
                r.Headers["x-ratelimit-limit"] = "60";
                r.Headers["x-ratelimit-remaining"] = "0";
                r.Headers["x-ratelimit-reset"] = reset.ToUnixTimeSeconds().ToString();
            });
        var client = Client();
        var e = await Assert.ThrowsAsync<GitHubRateLimitException>(() => client.ListReleasesAsync("helm/helm"));
        Assert.Contains("2031-03-04 05:06:07 UTC", e.Message);
        Assert.Contains("GITHUB_TOKEN", e.Message);
        Assert.Equal(1, _server.Count("/repos/helm/helm/releases?per_page=100")); // not retried
    }

    [Fact]
    public async Task A_short_secondary_limit_is_waited_for_and_a_long_one_fails()
    {
        var calls = 0;
        _server.Map("/repos/a/b/releases?per_page=100", async ctx =>
        {
            if (calls++ == 0)
            {
                ctx.Response.StatusCode = 429;
                ctx.Response.Headers["retry-after"] = "0";
                return;
            }
            ctx.Response.ContentType = "application/json; charset=utf-8";
            await ctx.Response.WriteAsync("[" + Fixtures.GitHub("BurntSushi__ripgrep__releases_latest.json") + "]");
        });
        _server.Json("/repos/a/c/releases?per_page=100", """{"message":"You have exceeded a secondary rate limit."}""", 403,
            r => r.Headers["retry-after"] = "3600");

        var client = Client();
        Assert.Equal("13.0.0", (await client.ListReleasesAsync("a/b")).Single().TagName);
        Assert.Equal(2, calls);
        var e = await Assert.ThrowsAsync<GitHubRateLimitException>(() => client.ListReleasesAsync("a/c"));
        Assert.Contains("retry after 3600 s", e.Message);
    }

    [Fact]
    public async Task Server_errors_are_retried_until_success()
    {
        var calls = 0;
        _server.Map("/repos/getsops/sops/releases?per_page=100", async ctx =>
        {
            if (++calls <= 2)
            {
                ctx.Response.StatusCode = calls == 1 ? 502 : 503;
                return;
            }
            ctx.Response.ContentType = "application/json; charset=utf-8";
            await ctx.Response.WriteAsync("[" + Fixtures.GitHub("BurntSushi__ripgrep__releases_latest.json") + "]");
        });
        var client = Client();
        var release = (await client.ListReleasesAsync("getsops/sops")).Single();
        Assert.Equal("13.0.0", release.TagName);
        Assert.Equal(7, release.Assets.Count);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task Persistent_server_errors_fail_naming_the_url_after_the_retries()
    {
        _server.Json("/repos/o/r/releases?per_page=100", """{"message":"Server Error"}""", 500);
        var client = Client(Token, retries: 2);
        var e = await Assert.ThrowsAsync<GitHubApiException>(() => client.ListReleasesAsync("o/r"));
        Assert.Contains(_server.Url("/repos/o/r/releases?per_page=100"), e.Message);
        Assert.Contains("500 Internal Server Error", e.Message);
        Assert.Equal(HttpStatusCode.InternalServerError, e.StatusCode);
        Assert.Equal(3, _server.Count("/repos/o/r/releases?per_page=100"));
        Assert.DoesNotContain(Token, e.ToString());
    }

    [Fact]
    public async Task Malformed_json_is_an_error_naming_the_url()
    {
        _server.Json("/repos/o/r/releases?per_page=100", """[{"tag_name": "v1.0.0", "assets": [ """);
        var client = Client();
        var e = await Assert.ThrowsAsync<GitHubApiException>(() => client.ListReleasesAsync("o/r"));
        Assert.Contains("malformed JSON", e.Message);
        Assert.Contains(_server.Url("/repos/o/r/releases?per_page=100"), e.Message);
    }

    [Fact]
    public async Task An_unknown_repository_is_an_error_naming_it()
    {
        var client = Client();
        var e = await Assert.ThrowsAsync<GitHubApiException>(() => client.ListReleasesAsync("Infisical/nope"));
        Assert.Contains("repository Infisical/nope not found", e.Message);
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
    }

    [Fact]
    public async Task Releases_read_the_asset_digest_that_Octokit_leaves_out()
    {
        _server.Json("/repos/stellarcarbon/sorocarbon/releases?per_page=100",
            "[" + Fixtures.GitHub("stellarcarbon__sorocarbon__releases_223668595.json") + "]");
        _server.Json("/repos/EnricoMi/PyGithub/releases?per_page=100", "[" + Fixtures.GitHub("EnricoMi__PyGithub__releases_tags_v1.55.json") + "]");
        var client = Client();

        var withDigest = (await client.ListReleasesAsync("stellarcarbon/sorocarbon")).Single();
        Assert.Equal("2e4ca075988921c6c8bf01cc9e7bd4530830898f47346f1945cad930b7dfdf4d", withDigest.Assets.Single().Sha256);
        var old = (await client.ListReleasesAsync("EnricoMi/PyGithub")).Single();
        Assert.True(old.Prerelease);
        Assert.Equal("https://github.com/EnricoMi/PyGithub/releases/tag/v1.55", old.HtmlUrl);
        Assert.All(old.Assets, a => Assert.Null(a.Sha256));
    }

    [Fact]
    public async Task The_token_is_sent_as_bearer_with_a_user_agent_and_never_appears_in_errors()
    {
        _server.Json("/repos/o/bad/releases?per_page=100", "[{not json " + "}]");
        _server.Json("/repos/o/limited/releases?per_page=100", """{"message":"API rate limit exceeded"}""", 429, r =>
        {
            r.Headers["x-ratelimit-remaining"] = "0";
            r.Headers["x-ratelimit-reset"] = "1900000000";
        });
        _server.Json("/repos/o/denied/releases?per_page=100", """{"message":"Bad credentials"}""", 401);
        var client = Client(Token, retries: 1);

        var errors = new List<Exception>
        {
            await Assert.ThrowsAnyAsync<GitHubApiException>(() => client.ListReleasesAsync("o/bad")),
            await Assert.ThrowsAnyAsync<GitHubRateLimitException>(() => client.ListReleasesAsync("o/limited")),
            await Assert.ThrowsAnyAsync<GitHubApiException>(() => client.ListReleasesAsync("o/denied")),
            await Assert.ThrowsAnyAsync<GitHubApiException>(() => client.ListReleasesAsync("o/missing")),
        };
        Assert.Contains("the token in GITHUB_TOKEN was refused", errors[2].Message);
        foreach (var e in errors)
        {
            Assert.DoesNotContain(Token, e.ToString());
            Assert.DoesNotContain("SECRET", e.Message);
        }
        var request = _server.Requests.First();
        Assert.Equal("Bearer " + Token, request.Header("Authorization"));
        Assert.StartsWith("strata", request.Header("User-Agent"));
        Assert.Equal("application/vnd.github+json", request.Header("Accept"));
        Assert.Equal("2022-11-28", request.Header("X-GitHub-Api-Version"));
    }
}
