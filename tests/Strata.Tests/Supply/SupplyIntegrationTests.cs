using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Strata.Images;
using Strata.IO;
using Strata.Oci;
using Strata.Pipeline;
using Strata.Registry;
using Strata.Supply;
using Strata.Tests.Support;

namespace Strata.Tests.Supply;

/// <summary>
/// The evidence of a release on the real engine and a real registry (Debian's docker-registry 2.8.2, which
/// has no referrers API: the tag schema), read back by independent clients: skopeo for the referrers index,
/// the artefacts and their blobs, OWASP's CycloneDX library for the SBOM's schema, dpkg-query in the image
/// for its packages. The smallest chain that proves it: one image on the OS with one pinned binary (served
/// by a stand-in server) and a global npm package with a nested dependency.
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
[Trait("Lane", "registry")] // (a release or a push into a registry: the third lane, see src/Strata.TestRun/TestLanes.cs)
public sealed class SupplyIntegrationTests : IAsyncLifetime
{
    private static readonly byte[] Hello = Fixtures.Bytes("#!/bin/sh\necho \"hello version 1.2.3\"\n");
    private static readonly RegistryClientOptions Fast = new() { MaxRetries = 1, RetryDelay = TimeSpan.FromMilliseconds(50), RequestTimeout = TimeSpan.FromSeconds(5) };
    private readonly EngineFixture _engine;
    private readonly TempRepo _repo = new();
    private readonly ImageRepository _repository = ImageRepository.Parse("strata-it/supply-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<string> _log = [];
    private RegistryServer _registry = null!;
    private bool _ownRegistry; // (a test that kills its registry starts its own; the shared one is the fixture's)
    private StandInServer _downloads = null!;

    public SupplyIntegrationTests(EngineFixture engine) => _engine = engine;

    public async Task InitializeAsync()
    {
        _registry = await _engine.SharedRegistryAsync();
        _downloads = await StandInServer.StartAsync();
        _downloads.Bytes("/dl/hello-linux-amd64", Hello);
        _downloads.Bytes("/dl/hello-linux-arm64", Hello);
        var assets = string.Join(",", new[] { "amd64", "arm64" }.Select(a =>
            $"\"{a}\": {{ \"url\": \"{_downloads.BaseUrl}/dl/hello-linux-{a}\", \"sha256\": \"{Fixtures.Sha256(Hello)}\" }}"));
        _repo.Write("strata.yaml", $"""
                repository: {_repository}
                {_engine.BaseOsYaml()}
                images:
                  - {"{"} name: tiny, dockerfile: Dockerfiles/Dockerfile.tiny {"}"}
                  - {"{"} name: app, parent: tiny, dockerfile: Dockerfiles/Dockerfile.app {"}"}
                """)
            .Write("Dockerfiles/Dockerfile.tiny", """
                ARG PARENT_IMAGE
                FROM ${PARENT_IMAGE}
                COPY .strata/tools/ /usr/local/bin/
                RUN m=/usr/local/lib/node_modules/@acme/cli && mkdir -p "$m/node_modules/left-pad" \
                 && echo '{"name":"@acme/cli","version":"1.0.0"}' > "$m/package.json" \
                 && echo '{"name":"left-pad","version":"1.3.0"}' > "$m/node_modules/left-pad/package.json"
                CMD ["true"]
                """)
            .Write("Dockerfiles/Dockerfile.app", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nRUN touch /app\n")
            // The bare OS has no UTF-8 locale: this spec replaces that generated check.
            .Write("Dockerfiles/tiny.smoke.yaml", "commands:\n  - name: locale is UTF-8\n    run: \"true\"\n")
            .Write("tools.yaml", $$"""
                tools:
                  - name: hello
                    repository: acme/hello
                    range: "[1.0.0,2.0.0)"
                    image: tiny
                    asset: hello-linux-{arch}
                    url: {{_downloads.BaseUrl}}/dl/{asset}
                    format: raw
                    sha256: { checksums_file: sha256sum.txt }
                """)
            .Write("tools.lock.json", $$"""{ "version": 1, "tools": { "hello": { "version": "1.2.3", "tag": "v1.2.3", "assets": { {{assets}} } } } }""");
    }

    public async Task DisposeAsync()
    {
        await _engine.RemoveRepositoryAsync(Location.ImageName(_repository));
        if (_ownRegistry) await _registry.DisposeAsync();
        await _downloads.DisposeAsync();
        _repo.Dispose();
    }

    private RegistryLocation Location => RegistryLocation.Parse($"{_registry.Host}/team");
    private string ImageName => Location.ImageName(_repository);

    private ImagePipeline NewPipeline(IRegistry? registry = null) => new(
        new RunOptions
        {
            RepositoryRoot = _repo.Root, HostCa = HostCaMode.Off, CacheDirectory = _repo.Path(".cache"), Registry = Location, Revision = "0123abc",
        },
        line => { lock (_log) _log.Add(line); }, _engine.Docker, registry: registry);

    private async Task ReleaseAsync()
    {
        using var pipeline = NewPipeline();
        await pipeline.ReleaseAsync();
    }

    /// <summary>The image manifest a tag names: a moving tag is an index (of the one platform here), a key tag the manifest itself.</summary>
    private async Task<string> DigestAsync(string tag)
    {
        using var client = new RegistryClient(Location, RegistryLogin.Anonymous, Fast);
        var manifest = (await client.FindManifestAsync(client.At(_repository, tag)))!;
        return manifest.MediaType == Strata.Oci.ImageIndex.MediaType ? Assert.Single(Strata.Oci.ImageIndex.Read(manifest.Body)).Digest.Value : manifest.Digest.Value;
    }

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var output = new StringBuilder();
        var errors = new StringBuilder();
        var exit = await ChildProcess.RunAsync(file, args, l => output.AppendLine(l), l => errors.AppendLine(l), CancellationToken.None);
        Assert.True(exit == 0, $"{file} {string.Join(' ', args)} exited {exit}: {errors}{output}");
        return output.ToString();
    }

    private Task<string> SkopeoRawAsync(string reference) =>
        RunAsync(Executables.Find("skopeo") ?? throw new InvalidOperationException("skopeo is not installed: apt-get install skopeo"),
            "inspect", "--raw", "--tls-verify=false", $"docker://{reference}");

    [Fact]
    public async Task A_release_attaches_three_referrers_that_skopeo_reads_with_a_valid_sbom_that_matches_the_image_and_verify_passes()
    {
        await ReleaseAsync();
        var digest = await DigestAsync("tiny");

        // skopeo: the referrers tag schema's index names one artefact of each kind, each with this digest as its subject.
        var index = JsonNode.Parse(await SkopeoRawAsync($"{ImageName}:{Referrers.TagOf(Digest.Parse(digest))}"))!;
        var artefacts = index["manifests"]!.AsArray().ToDictionary(m => m!["artifactType"]!.GetValue<string>(), m => m!["digest"]!.GetValue<string>());
        Assert.Equal(EvidenceKinds.All.Select(k => k.ArtifactType()).Order(), artefacts.Keys.Order());
        foreach (var (type, artefact) in artefacts)
        {
            var manifest = JsonNode.Parse(await SkopeoRawAsync($"{ImageName}@{artefact}"))!;
            Assert.Equal(type, manifest["artifactType"]!.GetValue<string>());
            Assert.Equal(digest, manifest["subject"]!["digest"]!.GetValue<string>());
        }

        // The SBOM's bytes, copied out by skopeo into an OCI layout, then checked against the CycloneDX schema and the image.
        var layout = _repo.Path("sbom-layout");
        await RunAsync(Executables.Find("skopeo")!, "copy", "--src-tls-verify=false", $"docker://{ImageName}@{artefacts[EvidenceKind.Sbom.ArtifactType()]}", $"oci:{layout}");
        var sbomManifest = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(layout, "blobs", "sha256",
            JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(layout, "index.json")))!["manifests"]![0]!["digest"]!.GetValue<string>()[7..])))!;
        var sbomPath = Path.Combine(layout, "blobs", "sha256", sbomManifest["layers"]![0]!["digest"]!.GetValue<string>()[7..]);
        var validator = await PinnedNpmPackages.InstallAsync(Path.Combine(RepositoryRoot.Find(), "tests", "Strata.Tests", "Supply", "cyclonedx-validator"),
            "validators/cyclonedx-js", Path.Combine("node_modules", "@cyclonedx", "cyclonedx-library", "package.json"), _log.Add);
        Assert.Equal("valid", (await RunAsync("node", Path.Combine(validator, "validate.js"), sbomPath)).Trim());

        var components = Sbom.ReadComponents(await File.ReadAllBytesAsync(sbomPath));
        var dpkg = (await RunAsync("docker", "run", "--rm", $"{ImageName}@{digest}", "dpkg-query", "-W", "-f", "${Package} ${Version}\\n"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal).ToList();
        Assert.True(dpkg.Count > 50, $"dpkg-query listed {dpkg.Count} packages");
        Assert.Equal(dpkg, components.Where(c => c.Purl.StartsWith("pkg:deb/", StringComparison.Ordinal)).Select(c => $"{c.Name} {c.Version}").Order(StringComparer.Ordinal));
        Assert.Contains(components, c => c.Name == "hello" && c.Version == "1.2.3" && c.Sha256 == Fixtures.Sha256(Hello));
        Assert.Contains(components, c => c.Purl == "pkg:npm/%40acme/cli@1.0.0");
        Assert.Contains(components, c => c.Purl == "pkg:npm/left-pad@1.3.0");

        using var pipeline = NewPipeline();
        Assert.All(await pipeline.VerifyAsync(), r => Assert.True(r.Ok, string.Join("; ", r.Problems)));
        var released = ReleaseRecord.Read(_repo.Path("artifacts/release.json"));
        Assert.Equal(digest, released.Single(r => r.Name == "tiny").Digest);
        Assert.Equal(digest, released.Single(r => r.Name == "app").ParentDigest);
    }

    [Fact]
    public async Task Verify_fails_clearly_after_a_referrer_is_deleted_after_the_key_tag_is_moved_and_when_the_registry_is_down()
    {
        (_registry, _ownRegistry) = (await RegistryServer.StartAsync(), true);
        await ReleaseAsync();
        var digest = await DigestAsync("app");
        using var pipeline = NewPipeline(new RegistryClient(Location, RegistryLogin.Anonymous, Fast));
        var sbom = (await new Referrers(new RegistryClient(Location, RegistryLogin.Anonymous, Fast), _repository).ListAsync(Digest.Parse(digest)))
            .Single(r => r.ArtifactType == EvidenceKind.Sbom.ArtifactType());
        using (var http = new HttpClient())
            Assert.Equal(HttpStatusCode.Accepted,
                (await http.DeleteAsync($"http://{_registry.Host}/v2/{Location.RemoteName(_repository)}/manifests/{sbom.Digest}")).StatusCode);

        var e = await Assert.ThrowsAsync<VerifyFailedException>(() => pipeline.VerifyAsync());
        Assert.Contains("app (linux/amd64): the SBOM is listed in the referrers index, but its manifest or blobs are gone", e.Message);
        Assert.Contains("--target=release", e.Message);

        // A release again finishes the job: the SBOM alone is attached anew.
        _log.Clear();
        await ReleaseAsync();
        Assert.Equal(1, _log.Count(l => l.Contains(" attached to ", StringComparison.Ordinal)));
        Assert.All(await pipeline.VerifyAsync(), r => Assert.True(r.Ok, string.Join("; ", r.Problems)));

        // Another image under tiny's key tag.
        var keyTag = (await pipeline.OnlyRunAsync()).Plan.Get("tiny").Published.KeyTag;
        var other = ImageReference.Parse(ImageName).WithTag("other");
        await EngineFixture.BuildDockerfileAsync(_engine.Docker, other.ToString(), $"FROM {_engine.BaseOsImage}\nLABEL other=yes\n");
        await _engine.Docker.Images.PushAsync(other, null, _ => { });
        using (var client = new RegistryClient(Location, RegistryLogin.Anonymous, Fast))
            await client.TagAsync(client.At(_repository, "other"), client.At(_repository, keyTag.Tag!));
        e = await Assert.ThrowsAsync<VerifyFailedException>(() => pipeline.VerifyAsync());
        Assert.Contains($"tiny (linux/amd64): its key tag {keyTag.Tag} names", e.Message);
        Assert.Contains("the key tag was moved", e.Message);

        await _registry.KillAsync();
        var down = await Assert.ThrowsAsync<RegistryException>(() => pipeline.VerifyAsync());
        Assert.Contains($"{_registry.Host} did not answer", down.Message);
        Assert.Contains("Is the registry up and reachable?", down.Message);
    }

    [Fact]
    public async Task A_release_that_fails_half_way_leaves_no_artefact_that_claims_a_pass()
    {
        _repo.Write("Dockerfiles/app.smoke.yaml", "commands:\n  - name: fails on purpose\n    run: \"false\"\n");
        _repo.Write("artifacts/release.json", """{"images":[]}""");

        await Assert.ThrowsAsync<SmokeFailedException>(ReleaseAsync);

        Assert.False(File.Exists(_repo.Path("artifacts/release.json")));
        using var client = new RegistryClient(Location, RegistryLogin.Anonymous, Fast);
        using var pipeline = NewPipeline(client);
        Assert.Null(await client.FindAsync(client.At(_repository, (await pipeline.OnlyRunAsync()).Plan.Get("app").Published.KeyTag.Tag!))); // never pushed, nothing to attach to
        Assert.Null(await client.FindAsync(client.At(_repository, "tiny")));                                         // no moving tag moved
        var e = await Assert.ThrowsAsync<VerifyFailedException>(() => pipeline.VerifyAsync());
        Assert.Contains("app (linux/amd64): ", e.Message);
        // tiny passed: its evidence is there, and honest (it did pass).
        var tinyDigest = (await client.FindAsync(client.At(_repository, (await pipeline.OnlyRunAsync()).Plan.Get("tiny").Published.KeyTag.Tag!)))!.Digest;
        Assert.Equal(3, (await new Referrers(client, _repository).ListAsync(tinyDigest)).Count);
    }
}
