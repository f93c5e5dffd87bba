using System.Reflection;
using Strata.Engine;
using Strata.Oci;
using Strata.Smoke;
using Strata.Tests.Support;
using Xunit.Abstractions;

namespace Strata.Tests.Smoke;

/// <summary>
/// The vault machine's root on the real engine: the image's own layer folders under an overlay mount of the run (the fast
/// way, where this process may mount), else the image exported; either way nothing is left and the image is untouched.
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
public sealed class GuestRootIntegrationTests(EngineFixture engine, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _repository = "strata-it/guest-root-" + Guid.NewGuid().ToString("N")[..8];
    private readonly TempRepo _temp = new();
    private ImageReference _image = null!;

    public async Task InitializeAsync()
    {
        // Two layers: the base OS's and one of its own, so the mount stacks more than one folder.
        _image = ImageReference.Parse($"{_repository}:two-layers");
        await EngineFixture.BuildDockerfileAsync(engine.Docker, _image.ToString(),
            $"FROM {engine.BaseOsImage}\nRUN echo top > /etc/strata-top-layer\n", output.WriteLine);
    }

    public async Task DisposeAsync()
    {
        await engine.RemoveRepositoryAsync(_repository);
        _temp.Dispose();
    }

    [Fact]
    public async Task The_image_is_mounted_from_its_layers_and_what_the_run_writes_or_removes_stays_in_its_own_folder()
    {
        var layers = await engine.Docker.Images.LayerFoldersAsync(_image);
        Assert.NotNull(layers);
        Assert.Equal(2, layers.Count);
        var notes = new List<string>();
        var run = Run();

        string path;
        await using (var root = await GuestRoot.PrepareAsync(engine.Docker.Images, run, new VaultRunOutput(notes.Add), CancellationToken.None))
        {
            path = root.Path;
            Assert.Contains(notes, n => n.Contains("mounted", StringComparison.Ordinal) && n.Contains("2 layers", StringComparison.Ordinal));
            Assert.DoesNotContain(notes, n => n.Contains("exporting", StringComparison.Ordinal));
            Assert.Equal(GuestArchitecture.Host, root.Architecture);
            Assert.Equal("top\n", await File.ReadAllTextAsync(Path.Combine(path, "etc", "strata-top-layer")));
            Assert.Contains(path, await File.ReadAllTextAsync("/proc/self/mounts"));

            await File.WriteAllTextAsync(Path.Combine(path, "etc", "written-by-the-run"), "x");
            File.Delete(Path.Combine(path, "etc", "strata-top-layer"));
        }

        foreach (var note in notes) output.WriteLine(note);
        Assert.DoesNotContain(path, await File.ReadAllTextAsync("/proc/self/mounts"));
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.TempRoot));
        // The engine's layers are as they were: the run's write and removal never reached them.
        Assert.All(layers, l => Assert.False(File.Exists(Path.Combine(l, "etc", "written-by-the-run"))));
        Assert.True(File.Exists(Path.Combine(layers[0], "etc", "strata-top-layer")));
    }

    [Fact]
    public async Task Where_the_layers_cannot_be_mounted_the_image_is_exported_instead()
    {
        var store = LayersThatCannotMount.Over(engine.Docker.Images, _temp.Path("no-such-layer"));
        var notes = new List<string>();
        var run = Run();

        await using (var root = await GuestRoot.PrepareAsync(store, run, new VaultRunOutput(notes.Add), CancellationToken.None))
        {
            Assert.Contains(notes, n => n.Contains("could not mount the image's layers", StringComparison.Ordinal));
            Assert.Contains(notes, n => n.Contains("exported in", StringComparison.Ordinal));
            Assert.Equal("top\n", await File.ReadAllTextAsync(Path.Combine(root.Path, "etc", "strata-top-layer")));
        }

        foreach (var note in notes) output.WriteLine(note);
        Assert.Empty(Directory.EnumerateFileSystemEntries(run.TempRoot));
    }

    private VaultRun Run() => new(_image, "dev", _temp.Root, TimeSpan.FromMinutes(1))
    {
        TempRoot = Directory.CreateDirectory(_temp.Path("tmp-" + Guid.NewGuid().ToString("N")[..6])).FullName,
    };

    /// <summary>The engine's store, except that it names a layer folder no mount can use (as a store on another machine might).</summary>
    public class LayersThatCannotMount : DispatchProxy
    {
        private IImageStore _inner = null!;
        private string _missing = null!;

        public static IImageStore Over(IImageStore inner, string missingFolder)
        {
            var proxy = Create<IImageStore, LayersThatCannotMount>();
            var self = (LayersThatCannotMount)(object)proxy;
            (self._inner, self._missing) = (inner, missingFolder);
            return proxy;
        }

        protected override object? Invoke(MethodInfo? method, object?[]? args) =>
            method!.Name == nameof(IImageStore.LayerFoldersAsync)
                ? Task.FromResult<IReadOnlyList<string>?>([_missing])
                : method.Invoke(_inner, args);
    }
}
