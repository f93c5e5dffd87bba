using Strata.Engine;

namespace Strata.Tests.Images;

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
            var docker = new DockerCli();
            var inspect = await Assert.ThrowsAsync<EngineUnavailableException>(() => docker.InspectImagesAsync(["strata/x:y"]));
            var version = await Assert.ThrowsAsync<EngineUnavailableException>(() => docker.ServerVersionAsync());
            foreach (var e in new[] { inspect, version })
            {
                Assert.Contains("No Docker engine is reachable", e.Message);
                Assert.Contains("dockerd", e.Message);
                Assert.Contains("DOCKER_HOST", e.Message);
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable("DOCKER_HOST", previous);
        }
    }

    [Fact]
    public async Task A_missing_docker_cli_is_named()
    {
        var e = await Assert.ThrowsAsync<EngineUnavailableException>(() => new DockerCli("/nonexistent/docker").ServerVersionAsync());
        Assert.Contains("not found", e.Message);
    }
}
