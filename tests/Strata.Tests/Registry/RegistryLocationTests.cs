using System.Text;
using Strata.Registry;
using Strata.Tests.Support;

namespace Strata.Tests.Registry;

public sealed class RegistryLocationTests
{
    [Theory]
    [InlineData("ghcr.io/acme", "ghcr.io", "acme", "https://ghcr.io/", "ghcr.io/acme/strata/workstation")]
    [InlineData("127.0.0.1:5000/team/sub", "127.0.0.1:5000", "team/sub", "http://127.0.0.1:5000/", "127.0.0.1:5000/team/sub/strata/workstation")]
    [InlineData("localhost:5000", "localhost:5000", "", "http://localhost:5000/", "localhost:5000/strata/workstation")]
    [InlineData("https://registry.example.com/ns/", "registry.example.com", "ns", "https://registry.example.com/", "registry.example.com/ns/strata/workstation")]
    public void A_location_is_a_host_and_a_namespace(string value, string host, string ns, string baseUri, string image)
    {
        var location = RegistryLocation.Parse(value);
        Assert.Equal((host, ns), (location.Host, location.Namespace));
        Assert.Equal(new Uri(baseUri), location.BaseUri);
        Assert.Equal(image, location.ImageName(Strata.Oci.ImageRepository.Parse("strata/workstation")));
    }

    [Theory]
    [InlineData("acme")]
    [InlineData("")]
    [InlineData("ghcr.io/Acme")]
    public void A_location_without_a_host_or_with_a_bad_namespace_says_what_to_give(string value)
    {
        var e = Assert.Throws<FormatException>(() => RegistryLocation.Parse(value));
        Assert.Contains("--registry", e.Message);
    }

    [Fact]
    public async Task Credentials_come_from_the_environment_first_then_the_docker_config()
    {
        using var home = new TempRepo();
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("octo:pat-123"));
        home.Write("config.json", "{\"auths\":{\"ghcr.io\":{\"auth\":\"" + auth + "\"}}}");
        var env = new Dictionary<string, string?> { ["DOCKER_CONFIG"] = home.Root };

        var fromConfig = (await RegistryCredentials.FindAsync("ghcr.io", n => env.GetValueOrDefault(n)))!;
        Assert.Equal("octo", fromConfig.User);
        Assert.Equal($"octo (from {home.Path("config.json")})", fromConfig.ToString());
        Assert.Null(await RegistryCredentials.FindAsync("other.example", n => env.GetValueOrDefault(n)));

        env["STRATA_REGISTRY_USER"] = "ci";
        env["STRATA_REGISTRY_PASSWORD"] = "pw-456";
        var fromEnv = (await RegistryCredentials.FindAsync("ghcr.io", n => env.GetValueOrDefault(n)))!;
        Assert.Equal("ci (from STRATA_REGISTRY_PASSWORD)", fromEnv.ToString());
        Assert.DoesNotContain("pw-456", fromEnv.ToString());
    }

    [Fact]
    public async Task A_credential_helper_named_in_the_docker_config_is_asked_for_its_host_and_its_secret_never_shown()
    {
        using var home = new TempRepo();
        // A real helper program, as docker-credential-pass is: `get`, the host on stdin, JSON on stdout.
        home.Write("bin/docker-credential-fake", """
            #!/bin/sh
            [ "$1" = get ] || exit 2
            read -r host
            case $host in
              ghcr.io) echo '{"ServerURL":"ghcr.io","Username":"octo","Secret":"helper-secret-1"}' ;;
              broken.example) echo 'not json' ;;
              *) echo "credentials not found in native keychain"; exit 1 ;;
            esac
            """, executable: true);
        var auth = Convert.ToBase64String(Encoding.UTF8.GetBytes("fallback:pw-2"));
        home.Write("config.json", "{\"credHelpers\":{\"ghcr.io\":\"fake\",\"quay.io\":\"fake\",\"broken.example\":\"fake\",\"gone.example\":\"missing\"}," +
                                  "\"auths\":{\"quay.io\":{\"auth\":\"" + auth + "\"}}}");
        var env = new Dictionary<string, string?> { ["DOCKER_CONFIG"] = home.Root, ["PATH"] = home.Path("bin") + ":/usr/bin:/bin" };
        Task<RegistryCredentials?> Find(string host) => RegistryCredentials.FindAsync(host, n => env.GetValueOrDefault(n));

        var fromHelper = (await Find("ghcr.io"))!;
        Assert.Equal(("octo", "helper-secret-1"), (fromHelper.User, fromHelper.Secret));
        Assert.Equal("octo (from docker-credential-fake)", fromHelper.ToString());
        // The helper has none for quay.io: the config's auths are next.
        Assert.Equal("fallback", (await Find("quay.io"))!.User);
        // A helper that is configured but not installed: anonymous, as with the docker client.
        Assert.Null(await Find("gone.example"));
        // A helper that answers nonsense is an error that names it, never its answer.
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => Find("broken.example"));
        Assert.Contains(home.Path("bin/docker-credential-fake") + " get answered something other than", e.Message);
        Assert.DoesNotContain("not json", e.Message);
    }

    [Fact]
    public async Task A_credential_helper_that_does_not_answer_is_stopped_and_named_and_its_output_never_shown()
    {
        using var home = new TempRepo();
        // A helper stuck on a locked keychain: it has begun to answer, then waits (a child of its own, too).
        var marker = Guid.NewGuid().ToString("N");
        home.Write("bin/docker-credential-stuck", $$"""
            #!/bin/sh
            read -r host
            echo '{"Username":"octo","Secret":"half-said-7'
            sh -c 'sleep 60; :' {{marker}}
            """, executable: true);
        var env = new Dictionary<string, string?> { ["PATH"] = home.Path("bin") + ":/usr/bin:/bin" };

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            RegistryCredentials.FromHelperAsync("stuck", "ghcr.io", n => env.GetValueOrDefault(n), TimeSpan.FromSeconds(1)));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"the helper was waited for {clock.Elapsed}");
        Assert.Contains(home.Path("bin/docker-credential-stuck") + " get did not answer within 1 s for ghcr.io", e.Message);
        Assert.DoesNotContain("half-said-7", e.Message);
        Assert.Empty(ProcessList.Mentioning(marker));
        Assert.Equal(30, RegistryCredentials.HelperTimeout.TotalSeconds);
    }
}
