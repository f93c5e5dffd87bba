using System.Formats.Tar;
using System.Text;
using Strata.Engine;
using Strata.Oci;
using Strata.Reproducible;
using Strata.Tests.Support;

namespace Strata.Tests.Reproducible;

/// <summary>
/// Two builds without cache on the real engine, each normalised: the same Dockerfile gives the same image id; a step
/// that writes the time gives another, and the layer diff names its file.
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
public sealed class ReproducibleIntegrationTests(EngineFixture engine) : IAsyncLifetime
{
    private const string Repository = "strata-reproducible-test/image";
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-reproducible-test-").FullName;

    public Task InitializeAsync() => engine.RemoveRepositoryAsync(Repository);

    public async Task DisposeAsync()
    {
        await engine.RemoveRepositoryAsync(Repository);
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<(string BuiltId, NormalisedImage Normalised)> BuildAsync(string tag, string dockerfile)
    {
        var reference = ImageReference.Parse($"{Repository}:{tag}");
        var request = new BuildRequest("Dockerfile", new Dictionary<string, string>(), new Dictionary<string, string>(), [reference], null) { NoCache = true };
        var built = await engine.Docker.Builds.BuildAsync(request, async (stdin, ct) =>
        {
            await using var tar = new TarWriter(stdin, TarEntryFormat.Gnu, leaveOpen: true);
            await tar.WriteEntryAsync(new GnuTarEntry(TarEntryType.RegularFile, "Dockerfile")
            {
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(dockerfile)), Mode = (UnixFileMode)0b110_100_100,
            }, ct);
        }, _ => { });
        var normalised = await new ImageNormaliser(engine.Docker.Archives, engine.Docker.Images, _ => { }).NormaliseAsync(reference);
        return (built.Id.ToString(), normalised);
    }

    [Fact]
    public async Task Two_cold_builds_of_one_Dockerfile_give_one_image_id()
    {
        // What a real image's steps leave: a user (shadow's day count, its backups), alternatives' log, ld.so's cache.
        var dockerfile = $"""
            FROM {engine.BaseOsImage}
            RUN useradd -m dev && update-alternatives --install /usr/local/bin/hi hi /bin/true 10 && ldconfig && echo hello > /etc/hello
            """;
        var first = await BuildAsync("first", dockerfile);
        await Task.Delay(1100); // another second in every time
        var second = await BuildAsync("second", dockerfile);

        Assert.NotEqual(first.BuiltId, second.BuiltId); // as built they differ: the test proves something
        Assert.Equal(first.Normalised.Id, second.Normalised.Id);
        var local = await engine.Docker.Images.InspectImagesAsync([ImageReference.Parse($"{Repository}:first"), ImageReference.Parse($"{Repository}:second")]);
        Assert.Equal(first.Normalised.Id, Assert.Single(local).Id.ToString());
        Assert.Contains("var/log/alternatives.log", first.Normalised.Dropped);
        Assert.Contains("etc/shadow", first.Normalised.Rewritten);
    }

    [Fact]
    public async Task A_step_that_writes_the_time_gives_another_image_and_the_diff_names_its_file()
    {
        var dockerfile = $"""
            FROM {engine.BaseOsImage}
            RUN echo stable > /etc/stable
            RUN date +%s%N > /etc/x
            """;
        var first = await BuildAsync("date1", dockerfile);
        var second = await BuildAsync("date2", dockerfile);
        Assert.NotEqual(first.Normalised.Id, second.Normalised.Id);

        var (a, b) = (Path.Combine(_dir, "a.tar"), Path.Combine(_dir, "b.tar"));
        await engine.Docker.Archives.SaveAsync(ImageReference.Parse($"{Repository}:date1"), a);
        await engine.Docker.Archives.SaveAsync(ImageReference.Parse($"{Repository}:date2"), b);
        var differences = await LayerDiff.CompareAsync(a, b, default);

        var only = Assert.Single(differences);
        Assert.Contains("date +%s%N > /etc/x", only.CreatedBy);
        Assert.Equal(["etc/x (content)"], only.Changed);
    }
}
