using Strata.Engine;

namespace Strata.Tests.Engine;

/// <summary>Engine failures are clear: what is wrong and how to fix it.</summary>
public class EngineErrorsTests
{
    [Fact]
    public async Task No_reachable_engine_says_how_to_start_one()
    {
        var previous = Environment.GetEnvironmentVariable("DOCKER_HOST");
        Environment.SetEnvironmentVariable("DOCKER_HOST", "unix:///nonexistent/strata-test.sock");
        try
        {
            using var docker = new DockerEngine();
            var inspect = await Assert.ThrowsAsync<EngineUnavailableException>(() => docker.Images.InspectImagesAsync([Strata.Oci.ImageReference.Parse("strata/x:y")]));
            var version = await Assert.ThrowsAsync<EngineUnavailableException>(() => docker.VersionAsync());
            var exec = await Assert.ThrowsAsync<EngineUnavailableException>(() => docker.Containers.ExecAsync("c", "root", ["true"]));
            foreach (var e in new[] { inspect, version, exec })
            {
                Assert.Contains("No Docker engine is reachable", e.Message);
                Assert.Contains("dockerd", e.Message);
                Assert.Contains("DOCKER_HOST", e.Message);
            }
            Assert.Contains("list images", inspect.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOCKER_HOST", previous);
        }
    }

    [Fact]
    public async Task A_missing_docker_cli_is_named_when_a_build_needs_it()
    {
        using var docker = new DockerEngine(BuilderChoice.Classic, "/nonexistent/docker");
        var request = new BuildRequest("Dockerfile", new Dictionary<string, string>(), new Dictionary<string, string>(), [], null);
        var e = await Assert.ThrowsAsync<EngineUnavailableException>(() => docker.Builds.BuildAsync(request, (_, _) => Task.CompletedTask, _ => { }));
        Assert.Contains("not found", e.Message);
        Assert.Contains("/nonexistent/docker", e.Message);
    }

    [Fact]
    public async Task BuildKit_asked_for_where_no_client_can_drive_it_names_the_fix()
    {
        // A client that is neither pre-23 nor has buildx: a script answering like docker 28 without the plugin.
        var dir = Directory.CreateTempSubdirectory("strata-fake-docker-").FullName;
        try
        {
            var fake = Path.Combine(dir, "docker");
            File.WriteAllText(fake, "#!/bin/sh\n[ \"$1\" = --version ] && echo 'Docker version 28.2.2, build e6534b4' && exit 0\nexit 1\n");
            File.SetUnixFileMode(fake, (UnixFileMode)0b111_101_101);
            using var docker = new DockerEngine(BuilderChoice.BuildKit, fake);
            var e = await Assert.ThrowsAsync<EngineException>(() => docker.Builds.ResolveBuilderAsync());
            Assert.Contains("buildx", e.Message);
            Assert.Contains("--builder=classic", e.Message);

            using var auto = new DockerEngine(BuilderChoice.Auto, fake);
            Assert.False((await auto.Builds.ResolveBuilderAsync()).BuildKit);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void An_unknown_builder_is_refused_with_the_choices()
    {
        var e = Assert.Throws<StrataConfigException>(() => Builders.Parse("kaniko"));
        Assert.Contains("auto", e.Message);
        Assert.Contains("buildkit", e.Message);
        Assert.Contains("classic", e.Message);
        Assert.Equal(BuilderChoice.BuildKit, Builders.Parse("BuildKit"));
    }
}
