using System.Text.Json;
using System.Text.Json.Nodes;
using Strata.Engine;
using Strata.Images;
using Strata.Pipeline;
using Strata.Registry;
using Strata.Smoke;
using Strata.Supply;
using Strata.Tests.Support;
using Xunit.Abstractions;
using Strata.Oci;

namespace Strata.Tests.Smoke;

/// <summary>
/// Vault proofs through a real registry (Debian's docker-registry on 127.0.0.1), with the real engine, the real fingerprint
/// (smoke/vault/fingerprint.sh in the smoke container) and the smallest chain (base with the vault, k8s on it). The scenario's
/// machine is a stand-in that passes and counts its runs: what is proven here is the lookup (which proof key, which store,
/// what is trusted), not the vault itself (VaultScenarioIntegrationTests runs it under User-Mode Linux). Each "machine" is a
/// pipeline with an empty cache folder.
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
[Trait("Lane", "vault-proof")]
public sealed class VaultProofRegistryIntegrationTests(EngineFixture engine, ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempRepo _repo = new();
    private readonly ImageRepository _repository = ImageRepository.Parse("strata-it/vault-proofs-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly List<string> _log = [];
    private readonly List<string> _scenarioRuns = [];
    private RegistryServer _registry = null!; // the fixture's, shared
    private int _machines;

    public async Task InitializeAsync()
    {
        _registry = await engine.SharedRegistryAsync();
        _repo.Write("strata.yaml", $"""
                repository: {_repository}
                base_os:
                  image: "{engine.BaseOs.Image}"
                  debootstrap: {"{"} suite: {engine.BaseOs.Debootstrap.Suite}, variant: {engine.BaseOs.Debootstrap.Variant}, mirror: "{engine.BaseOs.Debootstrap.Mirror}" {"}"}
                images:
                  - {"{"} name: base, dockerfile: Dockerfiles/Dockerfile.base {"}"}
                  - {"{"} name: k8s, parent: base, dockerfile: Dockerfiles/Dockerfile.k8s {"}"}
                """)
            .Write("Dockerfiles/Dockerfile.base", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nCMD [\"true\"]\n")
            .Write("Dockerfiles/base.smoke.yaml", """
                vault: true
                commands:
                  - name: locale is UTF-8
                    run: "true"
                """)
            .Write("smoke/vault/fingerprint.sh", File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "smoke", "vault", "fingerprint.sh")), executable: true);
        K8s("RUN echo k8s > /etc/strata-k8s");
    }

    public async Task DisposeAsync()
    {
        // Images of a run with --registry are named after the registry.
        await engine.RemoveRepositoryAsync(RegistryLocation.Parse($"{_registry.Host}/team").ImageName(_repository));
        await engine.RemoveRepositoryAsync(_repository.Name);
        _repo.Dispose();
    }

    private void K8s(params string[] steps) =>
        _repo.Write("Dockerfiles/Dockerfile.k8s", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\n" + string.Join("\n", steps) + "\n");

    /// <summary>A new machine (its own empty cache folder) proves <paramref name="images"/>; returns its log.</summary>
    private async Task<List<string>> NewMachineProvesAsync(params string[] images)
    {
        var log = new List<string>();
        using var pipeline = new ImagePipeline(new RunOptions
        {
            RepositoryRoot = _repo.Root, HostCa = HostCaMode.Off, CacheDirectory = _repo.Path($".cache-{++_machines}"),
            Registry = RegistryLocation.Parse($"{_registry.Host}/team"),
        }, line => { lock (_log) { _log.Add(line); log.Add(line); } output.WriteLine(line); }, engine.Docker)
        {
            RunVault = (_, _, run, _, _) =>
            {
                lock (_scenarioRuns) _scenarioRuns.Add(run.ImageRef.ToString());
                return Task.FromResult(new ScenarioOutput(0, """
                    # runtime: stand-in machine
                    ok - volume opens
                    ok - secret reads back
                    # vault scenario: PASS (2 passed, 0 failed)
                    """, "", TimedOut: false));
            },
        };
        foreach (var image in images)
        {
            await pipeline.BuildAsync(image);
            await pipeline.ProveAndPromoteAsync(image);
        }
        return log;
    }

    private RegistryClient Client => new(RegistryLocation.Parse($"{_registry.Host}/team"), RegistryLogin.Anonymous);

    private async Task<IReadOnlyList<string>> ProofTagsAsync()
    {
        using var http = new HttpClient();
        var json = await http.GetStringAsync($"http://{_registry.Host}/v2/team/{_repository}/tags/list");
        return JsonNode.Parse(json)!["tags"]!.AsArray().Select(t => t!.GetValue<string>())
            .Where(t => t.StartsWith(RegistryVaultProofs.TagPrefix, StringComparison.Ordinal)).ToList();
    }

    [Fact]
    public async Task A_vault_proven_on_one_machine_is_not_proven_again_on_another_unless_its_inputs_change_and_a_tampered_record_is_not_trusted()
    {
        // Machine 1: base runs the scenario; k8s has the same vault fingerprint and reuses base's proof from the local cache.
        await NewMachineProvesAsync("base", "k8s");
        Assert.Single(_scenarioRuns);
        var first = Assert.Single(await ProofTagsAsync());

        // Machine 2, after a one-line change to k8s that the vault does not run: no scenario, base's proof from the registry.
        K8s("RUN echo k8s > /etc/strata-k8s", "RUN echo more >> /etc/strata-k8s");
        var reused = await NewMachineProvesAsync("k8s");
        Assert.Single(_scenarioRuns);
        Assert.Contains(reused, l => l.Contains("[k8s] vault scenario not run: reused the vault proof of image 'base'") &&
                                     l.Contains($"from the registry ({_registry.Host}/team/{_repository})"));

        // Machine 3, after a change to what the vault runs (a bash start-up file): the scenario runs again, and is kept.
        K8s("RUN echo k8s > /etc/strata-k8s", "RUN echo 'export STRATA_X=1' > /etc/profile.d/strata-x.sh");
        await NewMachineProvesAsync("k8s");
        Assert.Equal(2, _scenarioRuns.Count);
        var second = Assert.Single((await ProofTagsAsync()).Except([first]));

        // Someone rewrites that record to name a failing verdict: machine 4 does not trust it, says so, and runs the scenario.
        await TamperAsync(second, record => record["Verdict"] = "FAIL (1 passed, 1 failed)");
        var distrusted = await NewMachineProvesAsync("k8s");
        Assert.Equal(3, _scenarioRuns.Count);
        Assert.Contains(distrusted, l => l.Contains("in the registry") && l.Contains("ignored") && l.Contains("names the verdict 'FAIL"));
    }

    /// <summary>Rewrites the record under <paramref name="tag"/> as a writer with push rights could, the artefact's form kept.</summary>
    private async Task TamperAsync(string tag, Action<JsonObject> change)
    {
        using var client = Client;
        var manifest = JsonNode.Parse((await client.FindManifestAsync(client.At(_repository, tag)))!.Body)!.AsObject();
        var layer = manifest["layers"]![0]!;
        var record = JsonNode.Parse((await client.FindBlobAsync(client.At(_repository), Strata.Oci.Digest.Parse(layer["digest"]!.GetValue<string>())))!)!.AsObject();
        change(record);
        var bytes = System.Text.Encoding.UTF8.GetBytes(record.ToJsonString());
        layer["digest"] = (await client.PushBlobAsync(client.At(_repository), bytes)).ToString();
        layer["size"] = bytes.Length;
        await client.PushManifestAsync(client.At(_repository, tag), Referrers.ManifestType, System.Text.Encoding.UTF8.GetBytes(manifest.ToJsonString()));
    }
}
