using System.Diagnostics;
using Strata.Engine;
using Strata.Oci;
using Strata.Graph;
using Strata.Tools;

namespace Strata.Smoke;

public sealed record SmokeOptions
{
    /// <summary>The platform of the image under test: a command check's expectations for it replace the defaults (null: the defaults).</summary>
    public Oci.Platform? Platform { get; init; }
    /// <summary>The engine's images, where the image under test is looked up. Given by whoever runs the suite (null: planning only).</summary>
    public IImageStore? Images { get; init; }
    /// <summary>The engine's containers: one per image is started and removed through them (null: planning only).</summary>
    public IContainerRuntime? Containers { get; init; }
    /// <summary>Where the JUnit files go (artifacts/smoke/&lt;image&gt;.xml), relative to the repository; null: none written.</summary>
    public string? ReportDirectory { get; init; } = Path.Combine("artifacts", "smoke");
    /// <summary>Where &lt;image&gt;.smoke.yaml live, relative to the repository.</summary>
    public string SpecDirectory { get; init; } = SmokeSpecLoader.DefaultDirectory;
    /// <summary>The vault scenario's folder (its scripts; see <see cref="VaultMachine"/>), relative to the repository.</summary>
    public string VaultDirectory { get; init; } = Path.Combine("smoke", "vault");
    /// <summary>The one limit of a vault scenario run, export, boot and cleanup included.</summary>
    public TimeSpan VaultTimeout { get; init; } = TimeSpan.FromMinutes(20);
    /// <summary>Which machine may run the vault scenario (--vault-runtime).</summary>
    public VaultRuntime VaultRuntime { get; init; } = VaultRuntime.Auto;
    /// <summary>What runs a vault scenario (with its progress lines): <see cref="VaultMachine.RunAsync"/>; tests of the smoke suite give a fake one.</summary>
    public Func<IImageStore, IContainerRuntime, VaultRun, Action<string>, CancellationToken, Task<ScenarioOutput>> RunVault { get; init; } = VaultMachine.RunAsync;
    /// <summary>Where passed vault proofs are kept (relative to the repository, or absolute; the pipeline uses its cache folder); null: never reuse one.</summary>
    public string? VaultProofDirectory { get; init; } = Path.Combine("artifacts", "smoke", "vault-proofs");
    /// <summary>Where passed vault proofs are shared between machines, looked up after the local folder (the pipeline: the registry, when one is configured); null: none.</summary>
    public IVaultProofStore? VaultProofRegistry { get; init; }
    public string Locale { get; init; } = "en_US.UTF-8";
    /// <summary>
    /// The container's network; null: the engine's default, as people run the image. (With "none",
    /// Docker writes no entry for the container's hostname, and sudo warns that it cannot resolve it.)
    /// </summary>
    public string? Network { get; init; }
    public IReadOnlyList<string> SecretScanPaths { get; init; } = ["/home", "/root", "/etc", "/opt", "/usr/local"];
    /// <summary>Paths skipped by the secret scan: known-public certificate bundles.</summary>
    public IReadOnlyList<string> SecretScanPrune { get; init; } =
        ["/etc/ssl/certs", "/usr/local/share/ca-certificates", "/etc/ca-certificates"];
    /// <summary>
    /// POSIX extended regexes (grep -E), one line at a time. A private key header counts only when key
    /// material follows it (end of line, or an escaped newline as in JSON); tokens and access keys only
    /// as whole words. Checked on the real images: without that, code that merely *parses* keys
    /// (a regex literal holding the header) and base64 blobs that happen to contain "AKIA..." were
    /// reported, e.g. in the Gemini CLI's bundle.
    /// </summary>
    public IReadOnlyList<SecretPattern> SecretPatterns { get; init; } =
    [
        new("private key", @"-----BEGIN [A-Z ]*PRIVATE KEY-----([[:space:]]*$|(\\r)?\\n[A-Za-z0-9+/])"),
        new("GitHub token", "(^|[^A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36}($|[^A-Za-z0-9_])"),
        new("AWS access key", "(^|[^A-Za-z0-9/+])AKIA[0-9A-Z]{16}($|[^A-Za-z0-9/+=])"),
    ];
}

/// <summary>What the suite found for one image.</summary>
/// <param name="Container">The name of the container the checks ran in (removed by now); null when none started.</param>
public sealed record SmokeResult(string Image, ImageReference ImageRef, IReadOnlyList<CheckResult> Checks, string? VaultRuntime,
    string? ReportPath, TimeSpan Duration, string? Container = null)
{
    public int PassedCount => Checks.Count(c => c.Passed);
    public int FailedCount => Checks.Count(c => !c.Passed);
    public bool Passed => FailedCount == 0 && Checks.Count > 0;
    public IEnumerable<CheckResult> Failures => Checks.Where(c => !c.Passed);
}

/// <summary>The checks of one image: its spec's (inherited) and the generated ones.</summary>
public sealed record SmokePlan(string Image, EffectiveSpec Spec, IReadOnlyList<SmokeCheck> Checks);

/// <summary>
/// The smoke-test suite, for build scripts:
/// <code>
/// var result = await SmokeSuite.RunAsync(graph, "latest", "strata/workstation:latest",
///     ToolsFile.Load("tools.yaml"), ToolLock.Load("tools.lock.json", missingIsEmpty: true),
///     new SmokeOptions(), Console.WriteLine);
/// if (!result.Passed) throw new Exception($"{result.FailedCount} smoke check(s) failed");
/// </code>
/// </summary>
public static class SmokeSuite
{
    /// <summary>Every check of the image, without running anything (spec errors surface here).</summary>
    public static SmokePlan Plan(ImageGraph graph, string image, ToolSet tools, ToolLock toolLock, SmokeOptions options)
    {
        var spec = SmokeSpecLoader.Resolve(graph, image, options.SpecDirectory);
        var checks = GeneratedChecks.For(graph, image, spec, tools, toolLock, options).ToList();
        foreach (var check in spec.Checks) SmokeSpecLoader.Put(checks, check);
        // A command's per-platform expectations are resolved here, so a proof key holds what runs on that platform.
        return new SmokePlan(image, spec, checks.Select(c => c is CommandCheck command ? command.On(options.Platform) : c).ToList());
    }

    /// <summary>
    /// Runs every check of <paramref name="image"/> against <paramref name="imageRef"/> in one container,
    /// logs a line per check, writes the JUnit report and returns the result. The container is removed
    /// whatever happens, cancellation included. Failed checks do not throw: look at <see cref="SmokeResult.Passed"/>.
    /// </summary>
    public static async Task<SmokeResult> RunAsync(ImageGraph graph, string image, ImageReference imageRef, ToolSet tools,
        ToolLock toolLock, SmokeOptions options, Action<string> log, CancellationToken ct = default)
    {
        var plan = Plan(graph, image, tools, toolLock, options);
        var result = await RunPlanAsync(plan, imageRef, options, log, ct);
        if (options.ReportDirectory is { } dir)
        {
            var path = Path.Combine(graph.RootDirectory, dir, image + ".xml");
            SmokeReport.WriteJUnit(path, result);
            result = result with { ReportPath = path };
        }
        log("");
        log(SmokeReport.Summary([result]).TrimEnd());
        foreach (var failure in result.Failures)
            log($"  FAIL [{image}] {failure.Name}: {failure.Message}");
        return result;
    }

    public static async Task<SmokeResult> RunPlanAsync(SmokePlan plan, ImageReference imageRef, SmokeOptions options,
        Action<string> log, CancellationToken ct = default)
    {
        if (options.Images is not { } images || options.Containers is not { } containers)
            throw new InvalidOperationException("SmokeOptions.Images and .Containers: the smoke suite runs on an engine, and none was given.");
        var image = plan.Image;
        var total = Stopwatch.StartNew();
        var results = new List<CheckResult>();
        var name = $"strata-smoke-{image}-{Guid.NewGuid():N}"[..^20];
        log($"[{image}] smoke testing {imageRef} in container {name}: {plan.Checks.Count} checks" +
            (plan.Spec.Sources.Count > 0 ? $" (specs: {string.Join(", ", plan.Spec.Sources)})" : " (no spec files)"));

        void Record(CheckResult r)
        {
            results.Add(r);
            log(r.Passed ? $"[{image}] ok   {r.Name}" : $"[{image}] FAIL {r.Name}: {r.Message}");
        }

        var info = (await images.InspectImagesAsync([imageRef], ct)).FirstOrDefault();
        if (info is null)
        {
            Record(new CheckResult(image, "image exists", CheckKind.Engine, false, $"image {imageRef} was not found; build it first.", CheckResult.Generated, TimeSpan.Zero));
            return new SmokeResult(image, imageRef, results, null, null, total.Elapsed);
        }

        string container;
        try
        {
            container = await containers.StartContainerAsync(name, imageRef,
                new ContainerOptions { Network = options.Network, Labels = new Dictionary<string, string> { ["dev.strata.smoke"] = image }, ReplaceEntrypoint = true },
                ["sleep", "infinity"], ct);
        }
        catch (EngineException e)
        {
            await containers.RemoveContainerAsync(name, CancellationToken.None);
            Record(new CheckResult(image, "container starts", CheckKind.Engine, false, e.Message, CheckResult.Generated, TimeSpan.Zero));
            return new SmokeResult(image, imageRef, results, null, null, total.Elapsed, name);
        }
        catch (OperationCanceledException)
        {
            // The engine may have created it before the CLI was stopped.
            await containers.RemoveContainerAsync(name, CancellationToken.None);
            throw;
        }

        string? runtime = null;
        try
        {
            var context = new SmokeContext(images, containers, container, image, imageRef, plan.Spec.User, info.Labels, options, log);
            foreach (var check in plan.Checks)
            {
                ct.ThrowIfCancellationRequested();
                var watch = Stopwatch.StartNew();
                IReadOnlyList<CheckResult> outcome;
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
                limit.CancelAfter(check.TimeLimit);
                try
                {
                    outcome = await check.RunAsync(context, limit.Token);
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    outcome = [new CheckResult(image, check.Name, check.Kind, false,
                        $"timed out after {check.TimeLimit.TotalSeconds:0} s", check.Origin, TimeSpan.Zero)];
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    outcome = [new CheckResult(image, check.Name, check.Kind, false, $"error: {e.Message}", check.Origin, TimeSpan.Zero)];
                }
                var elapsed = watch.Elapsed;
                foreach (var r in outcome)
                {
                    runtime ??= r.ScenarioRuntime;
                    Record(r with { Duration = elapsed / outcome.Count });
                }
            }
        }
        finally
        {
            await containers.RemoveContainerAsync(container, CancellationToken.None);
        }
        return new SmokeResult(image, imageRef, results, runtime, null, total.Elapsed, name);
    }
}
