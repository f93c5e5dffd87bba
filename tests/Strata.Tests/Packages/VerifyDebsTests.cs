using System.Diagnostics;
using System.Security.Cryptography;
using Strata.Packages;
using Strata.Tests.Support;

namespace Strata.Tests.Packages;

/// <summary>
/// The hook apt runs before dpkg unpacks anything in a locked install (the real script, as the image gets it), on a
/// real .deb made with dpkg-deb: only a locked name, version and sha256 passes.
/// </summary>
public sealed class VerifyDebsTests : IDisposable
{
    private readonly TempRepo _dir = new();
    private readonly string _deb;

    public VerifyDebsTests()
    {
        _dir.Write("pkg/DEBIAN/control", "Package: strata-demo\nVersion: 1.0-1\nArchitecture: all\nMaintainer: Strata <strata@example.invalid>\nDescription: a test package\n");
        _dir.Write("pkg/usr/share/doc/strata-demo/README", "demo\n");
        _deb = _dir.Path("strata-demo_1.0-1_all.deb");
        Assert.Equal(0, Run("dpkg-deb", ["--build", "--root-owner-group", _dir.Path("pkg"), _deb], null).Exit);
    }

    private string Sha => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(_deb)));

    private (int Exit, string Error) Verify(string lockedList, string stdin)
    {
        var (files, _) = AptContext.For([], new Dictionary<string, LockedPackage>());
        var script = files.Single(f => f.ContextPath.EndsWith("/verify-debs"));
        File.WriteAllBytes(_dir.Path("verify-debs"), script.Content);
        File.WriteAllText(_dir.Path("locked.list"), lockedList);
        return Run("sh", [_dir.Path("verify-debs")], stdin);
    }

    private static (int Exit, string Error) Run(string file, string[] args, string? stdin)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        p.StandardInput.Write(stdin ?? "");
        p.StandardInput.Close();
        var error = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, error);
    }

    [Fact]
    public void A_locked_deb_with_its_sha256_passes() =>
        Assert.Equal((0, ""), Verify($"other 2.0 all {new string('0', 64)}\nstrata-demo 1.0-1 all {Sha}\n", $"{_deb}\n"));

    [Fact]
    public void A_deb_the_lock_does_not_hold_stops_the_install_naming_it_and_the_fix()
    {
        var (exit, error) = Verify($"strata-demo 0.9-1 all {Sha}\n", $"{_deb}\n");
        Assert.Equal(1, exit);
        Assert.Contains("strata: strata-demo 1.0-1 (all) is not in packages.lock.json for this image and platform", error);
        Assert.Contains("./build.sh --target=pin", error);
    }

    [Fact]
    public void Other_bytes_under_the_locked_version_stop_the_install()
    {
        var (exit, error) = Verify($"strata-demo 1.0-1 all {new string('f', 64)}\n", $"{_deb}\n");
        Assert.Equal(1, exit);
        Assert.Contains($"strata: strata-demo 1.0-1 (all): sha256 {Sha}, but packages.lock.json has {new string('f', 64)}", error);
    }

    public void Dispose() => _dir.Dispose();
}
