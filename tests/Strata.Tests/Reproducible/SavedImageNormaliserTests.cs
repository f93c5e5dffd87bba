using System.Text.Json;
using Strata.Reproducible;
using static Strata.Tests.Reproducible.LayerTars;

namespace Strata.Tests.Reproducible;

public sealed class SavedImageNormaliserTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("strata-normaliser-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string SaveAt(string name, DateTimeOffset when, string container, string hello = "hello")
    {
        var path = Path.Combine(_dir, name + ".tar");
        System.IO.File.WriteAllBytes(path, Saved(Config(when.ToString("O"), container, 2),
            Layer(new Entry("etc/", Type: System.Formats.Tar.TarEntryType.Directory, Modified: when), new Entry("etc/hello", hello, when)),
            Layer(new Entry("var/log/dpkg.log", when.ToString("O"), when), new Entry("etc/x", "same", when))));
        return path;
    }

    private async Task<(NormalisedImage Image, byte[] Archive)> NormaliseAsync(string saved)
    {
        using var output = new MemoryStream();
        var work = Directory.CreateTempSubdirectory("w-").FullName;
        var image = await SavedImageNormaliser.NormaliseAsync(saved, ["strata-test/x:k"], output, work, default);
        Directory.Delete(work, true);
        return (image, output.ToArray());
    }

    [Fact]
    public async Task Two_builds_at_other_times_in_other_containers_give_one_image_id()
    {
        var (first, _) = await NormaliseAsync(SaveAt("a", new DateTimeOffset(2026, 12, 7, 21, 0, 0, TimeSpan.Zero), "3f2a9c1b"));
        var (second, _) = await NormaliseAsync(SaveAt("b", new DateTimeOffset(2026, 12, 8, 3, 1, 2, TimeSpan.Zero), "77e0d1aa"));
        Assert.Equal(first.Id, second.Id);
        Assert.Equal(2, first.DiffIds.Count);
    }

    [Fact]
    public void The_config_keeps_its_image_and_loses_the_build_its_dates_are_the_epoch_its_diff_ids_are_the_layers()
    {
        var config = ImageConfigNormaliser.Normalise(System.Text.Encoding.UTF8.GetBytes(Config("2026-12-07T21:00:00.123Z", "3f2a9c1b", 2)),
            ["sha256:aa", "sha256:bb"]);
        using var doc = JsonDocument.Parse(config);
        var root = doc.RootElement;
        Assert.Equal("2024-01-01T00:00:00Z", root.GetProperty("created").GetString());
        Assert.All(root.GetProperty("history").EnumerateArray(), h => Assert.Equal("2024-01-01T00:00:00Z", h.GetProperty("created").GetString()));
        Assert.Equal("/bin/sh -c step 1", root.GetProperty("history")[1].GetProperty("created_by").GetString());
        foreach (var gone in new[] { "container", "container_config", "docker_version", "moby.buildkit.cache.v0" })
            Assert.False(root.TryGetProperty(gone, out _), gone);
        Assert.Equal("", root.GetProperty("config").GetProperty("Hostname").GetString());
        Assert.Equal(["dev.strata.key"], root.GetProperty("config").GetProperty("Labels").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["sha256:aa", "sha256:bb"], root.GetProperty("rootfs").GetProperty("diff_ids").EnumerateArray().Select(d => d.GetString()));
    }

    [Fact]
    public async Task The_archive_written_is_a_saved_image_of_the_new_id_with_the_tag_and_its_layers()
    {
        var (image, archive) = await NormaliseAsync(SaveAt("a", DateTimeOffset.UtcNow, "c1"));
        var path = Path.Combine(_dir, "normalised.tar");
        await System.IO.File.WriteAllBytesAsync(path, archive);
        var read = await SavedImage.ReadAsync(path, default);
        Assert.Equal(["strata-test/x:k"], read.RepoTags);
        Assert.Equal(image.Id, "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(read.Config)));
        Assert.Equal(image.DiffIds.Select(d => d[7..] + "/layer.tar"), read.Layers);
    }

    [Fact]
    public async Task The_layer_diff_names_the_file_that_differs_in_its_layer_and_what_differs()
    {
        var (a, archiveA) = await NormaliseAsync(SaveAt("a", DateTimeOffset.UtcNow, "c1"));
        var (b, archiveB) = await NormaliseAsync(SaveAt("b", DateTimeOffset.UtcNow, "c2", hello: "hello, world"));
        Assert.NotEqual(a.Id, b.Id);
        var (pathA, pathB) = (Path.Combine(_dir, "na.tar"), Path.Combine(_dir, "nb.tar"));
        await System.IO.File.WriteAllBytesAsync(pathA, archiveA);
        await System.IO.File.WriteAllBytesAsync(pathB, archiveB);

        var differences = await LayerDiff.CompareAsync(pathA, pathB, default);

        var only = Assert.Single(differences);
        Assert.Equal(0, only.Index);
        Assert.Equal(["etc/hello (content)"], only.Changed);
        Assert.Equal(["  layer 1: /bin/sh -c step 0", "    ~ /etc/hello (content)"], LayerDiff.Describe(differences));
    }
}
