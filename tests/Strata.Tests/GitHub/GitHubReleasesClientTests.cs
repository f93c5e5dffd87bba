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
    private readonly TempDir _temp = new();

    public async Task InitializeAsync() => _server = await StandInServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _temp.Dispose();
    }

    private GitHubReleasesClient Client(string? token = null, int retries = 3, bool cache = false) => new(new GitHubClientOptions
    {
        ApiBaseUrl = new Uri(_server.BaseUrl + "/"),
        Token = token,
        CacheDirectory = cache ? _temp["etags"] : null,
        MaxRetries = retries,
        RetryDelay = TimeSpan.FromMilliseconds(1),
        MaxRetryAfter = TimeSpan.FromSeconds(5),
    });

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

        using var client = Client();
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
    public async Task A_next_link_to_another_server_is_not_followed_with_the_token()
    {
        _server.Json("/repos/o/r/releases?per_page=100", "[]",
            headers: r => r.Headers["Link"] = "<https://evil.example/steal?page=2>; rel=\"next\"");
        using var client = Client(Token);
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
            await ctx.Response.WriteAsync(body);
        });

        using (var client = Client(cache: true))
            Assert.Equal("v25.5.31", (await client.ListReleasesAsync("sxyazi/yazi")).Single().TagName);
        using (var client = Client(cache: true))
            Assert.Equal("v25.5.31", (await client.ListReleasesAsync("sxyazi/yazi")).Single().TagName);

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
        using var client = Client();
        var e = await Assert.ThrowsAsync<GitHubRateLimitException>(() => client.ListReleasesAsync("helm/helm"));
        Assert.Contains("2031-03-04 05:06:07 UTC", e.Message);
        Assert.Contains("GITHUB_TOKEN", e.Message);
        Assert.Equal(reset, e.ResetsAt);
        Assert.Equal(1, _server.Count("/repos/helm/helm/releases?per_page=100")); // not retried
    }

    [Fact]
    public async Task A_short_secondary_limit_is_waited_for_and_a_long_one_fails()
    {
        var calls = 0;
        _server.Map("/repos/a/b/releases/latest", async ctx =>
        {
            if (calls++ == 0)
            {
                ctx.Response.StatusCode = 429;
                ctx.Response.Headers["retry-after"] = "0";
                return;
            }
            await ctx.Response.WriteAsync(Fixtures.GitHub("BurntSushi__ripgrep__releases_latest.json"));
        });
        _server.Json("/repos/a/c/releases/latest", """{"message":"You have exceeded a secondary rate limit."}""", 403,
            r => r.Headers["retry-after"] = "3600");

        using var client = Client();
        Assert.Equal("13.0.0", (await client.GetLatestReleaseAsync("a/b")).TagName);
        Assert.Equal(2, calls);
        var e = await Assert.ThrowsAsync<GitHubRateLimitException>(() => client.GetLatestReleaseAsync("a/c"));
        Assert.Contains("retry after 3600 s", e.Message);
    }

    [Fact]
    public async Task Server_errors_are_retried_until_success()
    {
        var calls = 0;
        _server.Map("/repos/getsops/sops/releases/latest", async ctx =>
        {
            if (++calls <= 2)
            {
                ctx.Response.StatusCode = calls == 1 ? 502 : 503;
                return;
            }
            await ctx.Response.WriteAsync(Fixtures.GitHub("BurntSushi__ripgrep__releases_latest.json"));
        });
        using var client = Client();
        var release = await client.GetLatestReleaseAsync("getsops/sops");
        Assert.Equal("13.0.0", release.TagName);
        Assert.Equal(7, release.Assets.Count);
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task Persistent_server_errors_fail_naming_the_url_after_the_retries()
    {
        _server.Json("/repos/o/r/releases/latest", """{"message":"Server Error"}""", 500);
        using var client = Client(Token, retries: 2);
        var e = await Assert.ThrowsAsync<GitHubApiException>(() => client.GetLatestReleaseAsync("o/r"));
        Assert.Contains(_server.Url("/repos/o/r/releases/latest"), e.Message);
        Assert.Equal(HttpStatusCode.InternalServerError, e.StatusCode);
        Assert.Equal(3, _server.Count("/repos/o/r/releases/latest"));
        Assert.DoesNotContain(Token, e.ToString());
    }

    [Fact]
    public async Task Malformed_json_is_an_error_naming_the_url()
    {
        _server.Json("/repos/o/r/releases?per_page=100", """[{"tag_name": "v1.0.0", "assets": [ """);
        using var client = Client();
        var e = await Assert.ThrowsAsync<GitHubApiException>(() => client.ListReleasesAsync("o/r"));
        Assert.Contains("malformed JSON", e.Message);
        Assert.Contains(_server.Url("/repos/o/r/releases?per_page=100"), e.Message);
    }

    [Fact]
    public async Task Unknown_tag_is_an_error_naming_repository_and_tag()
    {
        using var client = Client();
        var e = await Assert.ThrowsAsync<GitHubApiException>(() => client.GetReleaseByTagAsync("Infisical/infisical", "infisical-cli/v9.9.9"));
        Assert.Contains("Infisical/infisical", e.Message);
        Assert.Contains("'infisical-cli/v9.9.9'", e.Message);
        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        Assert.Contains(_server.Requests, r => r.PathAndQuery == "/repos/Infisical/infisical/releases/tags/infisical-cli/v9.9.9");
    }

    [Fact]
    public async Task Release_by_tag_reads_the_asset_digest()
    {
        _server.Json("/repos/stellarcarbon/sorocarbon/releases/tags/v0.3.0",
            Fixtures.GitHub("stellarcarbon__sorocarbon__releases_223668595.json"));
        _server.Json("/repos/EnricoMi/PyGithub/releases/tags/v1.55", Fixtures.GitHub("EnricoMi__PyGithub__releases_tags_v1.55.json"));
        using var client = Client();

        var withDigest = await client.GetReleaseByTagAsync("stellarcarbon/sorocarbon", "v0.3.0");
        Assert.Equal("2e4ca075988921c6c8bf01cc9e7bd4530830898f47346f1945cad930b7dfdf4d", withDigest.Assets.Single().Sha256);
        var old = await client.GetReleaseByTagAsync("EnricoMi/PyGithub", "v1.55");
        Assert.True(old.Prerelease);
        Assert.All(old.Assets, a => Assert.Null(a.Sha256));
    }

    [Fact]
    public async Task The_token_is_sent_as_bearer_with_a_user_agent_and_never_appears_in_errors()
    {
        _server.Json("/repos/o/bad/releases/latest", "{not json " + "}");
        _server.Json("/repos/o/limited/releases/latest", """{"message":"API rate limit exceeded"}""", 403, r =>
        {
            r.Headers["x-ratelimit-remaining"] = "0";
            r.Headers["x-ratelimit-reset"] = "1900000000";
        });
        _server.Json("/repos/o/denied/releases/latest", """{"message":"Bad credentials"}""", 401);
        using var client = Client(Token, retries: 1);

        var errors = new List<Exception>
        {
            await Assert.ThrowsAnyAsync<GitHubApiException>(() => client.GetLatestReleaseAsync("o/bad")),
            await Assert.ThrowsAnyAsync<GitHubApiException>(() => client.GetLatestReleaseAsync("o/limited")),
            await Assert.ThrowsAnyAsync<GitHubApiException>(() => client.GetLatestReleaseAsync("o/denied")),
            await Assert.ThrowsAnyAsync<GitHubApiException>(() => client.GetReleaseByTagAsync("o/missing", "v1")),
        };
        foreach (var e in errors)
        {
            Assert.DoesNotContain(Token, e.ToString());
            Assert.DoesNotContain("SECRET", e.Message);
        }
        var request = _server.Requests.First();
        Assert.Equal("Bearer " + Token, request.Header("Authorization"));
        Assert.Equal("strata-pin", request.Header("User-Agent"));
        Assert.Equal("application/vnd.github+json", request.Header("Accept"));
    }
}
