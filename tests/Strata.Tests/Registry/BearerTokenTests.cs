using System.Text;
using Microsoft.AspNetCore.Http;
using Strata.Registry;
using Strata.Tests.Support;
using Strata.Oci;

namespace Strata.Tests.Registry;

/// <summary>The bearer-token flow of ghcr.io and Docker Hub, against a token-issuing stand-in on 127.0.0.1.</summary>
public sealed class BearerTokenTests : IAsyncLifetime
{
    private StandInServer _server = null!;
    private const string Token = "tok-4f7c";
    private const string Scope = "repository:team/strata/workstation:pull";

    public async Task InitializeAsync()
    {
        _server = await StandInServer.StartAsync();
        var challenge = $"Bearer realm=\"{_server.Url("/token")}\",service=\"stand-in\",scope=\"{Scope}\"";
        var basic = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("robot:s3cret-pw"));
        // The token service: a token only for the right credentials.
        _server.Map($"/token?service=stand-in&scope={Uri.EscapeDataString(Scope)}", async ctx =>
        {
            if (ctx.Request.Headers.Authorization != basic) { ctx.Response.StatusCode = 401; return; }
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync($$"""{"token":"{{Token}}","expires_in":300}""");
        });
        // The registry: 401 with the challenge unless the bearer token comes along; then 404 (absent).
        _server.Map("/v2/team/strata/workstation/manifests/base-0123456789ab", ctx =>
        {
            if (ctx.Request.Headers.Authorization != "Bearer " + Token)
            {
                ctx.Response.StatusCode = 401;
                ctx.Response.Headers.WWWAuthenticate = challenge;
                return Task.CompletedTask;
            }
            ctx.Response.StatusCode = 404;
            return Task.CompletedTask;
        });
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private RegistryClient Client(string password) => new(
        RegistryLocation.Parse(_server.BaseUrl.Replace("http://", "", StringComparison.Ordinal) + "/team"),
        RegistryLogin.Of(new RegistryCredentials("robot", password, "test")), new RegistryClientOptions { MaxRetries = 1, RetryDelay = TimeSpan.Zero });

    [Fact]
    public async Task A_bearer_challenge_is_answered_with_a_token_for_the_scope_and_the_token_is_used()
    {
        using var client = Client("s3cret-pw");

        Assert.Null(await client.FindAsync(client.At(ImageRepository.Parse("strata/workstation"), "base-0123456789ab")));

        Assert.Equal(1, _server.Count($"/token?service=stand-in&scope={Uri.EscapeDataString(Scope)}"));
        var last = _server.Requests.Last(r => r.PathAndQuery.StartsWith("/v2/", StringComparison.Ordinal));
        Assert.Equal("Bearer " + Token, last.Header("authorization"));
    }

    [Fact]
    public async Task A_refused_token_is_an_auth_error_without_the_password()
    {
        using var client = Client("wrong-pw-9");

        var e = await Assert.ThrowsAsync<RegistryAuthException>(() => client.FindAsync(client.At(ImageRepository.Parse("strata/workstation"), "base-0123456789ab")));

        Assert.Contains("refused a token", e.Message);
        Assert.DoesNotContain("wrong-pw-9", e.ToString());
    }
}
