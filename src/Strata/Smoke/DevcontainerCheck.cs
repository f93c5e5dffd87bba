using System.Text;
using Strata.Images;

namespace Strata.Smoke;

/// <summary>
/// The image's <c>devcontainer.metadata</c> label parses, is within <see cref="DevcontainerMetadata.MaxBytes"/>,
/// is exactly what strata.yaml declares (<paramref name="Expected"/>), and says what the image is: the
/// remote and container users exist, every containerEnv variable has the value the image's ENV gives a
/// non-login shell, and every mount target (applied or declared) is a folder of the image.
/// </summary>
public sealed record DevcontainerCheck(string Name, string Origin, string Expected) : SmokeCheck(Name, Origin)
{
    public override CheckKind Kind => CheckKind.Label;

    public override async Task<IReadOnlyList<CheckResult>> RunAsync(SmokeContext c, CancellationToken ct)
    {
        if (!c.Labels.TryGetValue(DevcontainerMetadata.Label, out var label))
            return [Fail(c, $"label {DevcontainerMetadata.Label} is not set; strata.yaml declares {Excerpt(Expected, 1, 200)}")];
        var bytes = Encoding.UTF8.GetByteCount(label);
        if (bytes > DevcontainerMetadata.MaxBytes)
            return [Fail(c, $"label {DevcontainerMetadata.Label} is {bytes} bytes, over the limit of {DevcontainerMetadata.MaxBytes}")];
        DevcontainerEntry merged;
        try
        {
            merged = DevcontainerMetadata.Parse(label).Merged();
        }
        catch (FormatException e)
        {
            return [Fail(c, e.Message)];
        }
        if (label != Expected)
            return [Fail(c, $"label {DevcontainerMetadata.Label} is {Excerpt(label, 1, 200)}, but strata.yaml declares {Excerpt(Expected, 1, 200)}")];

        var problems = new List<string>();
        foreach (var (role, user) in new[] { ("remoteUser", merged.RemoteUser), ("containerUser", merged.ContainerUser) })
        {
            if (user is null) continue;
            var found = await c.ShellAsync("root", "getent passwd \"$1\"", login: false, ct, user);
            if (found.ExitCode != 0) problems.Add($"{role} '{user}' is not a user of the image");
        }

        if (merged.ContainerEnv.Count > 0)
        {
            var user = merged.ContainerUser ?? merged.RemoteUser ?? c.User;
            var env = await c.ShellAsync(user, "env -0", login: false, ct);
            var values = env.StdOut.Split('\0', StringSplitOptions.RemoveEmptyEntries).Select(e => e.Split('=', 2))
                .Where(kv => kv.Length == 2).GroupBy(kv => kv[0]).ToDictionary(g => g.Key, g => g.Last()[1]);
            foreach (var (name, value) in merged.ContainerEnv)
                if (!values.TryGetValue(name, out var actual))
                    problems.Add($"containerEnv {name}='{value}', but the image's ENV does not set {name}");
                else if (actual != value)
                    problems.Add($"containerEnv {name}='{value}', but the image's ENV says '{actual}'");
        }

        foreach (var target in merged.Mounts.Concat(merged.HostMounts).Select(DevcontainerEntry.MountTarget).OfType<string>())
        {
            var dir = await c.ShellAsync("root", "test -d \"$1\"", login: false, ct, target);
            if (dir.ExitCode != 0) problems.Add($"mount target {target} is not a folder of the image (create it in the Dockerfile)");
        }
        return [problems.Count == 0 ? Pass(c) : Fail(c, string.Join("; ", problems))];
    }
}
