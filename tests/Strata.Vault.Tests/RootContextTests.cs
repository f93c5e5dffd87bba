using Strata.Vault.Names;
using Strata.Vault.Root;
using Strata.Vault.States;
using Strata.Vault.Tests.Fakes;
using static Strata.Vault.Tests.Support;

namespace Strata.Vault.Tests;

/// <summary>The root side trusts nothing it is given: names from the uid, the mount point looked at with lstat, sizes checked first.</summary>
public class RootContextTests
{
    private sealed class Paths(Dictionary<string, PathInfo> entries) : IPathInspector
    {
        public PathInfo? Lstat(string path) => entries.GetValueOrDefault(path);
    }

    private sealed class Users : IUserDirectory
    {
        public VaultUser? Find(int uid) => uid == 1000 ? Machine.Dev : uid == 0 ? new VaultUser("root", 0, 0, "/root") : null;
    }

    private static Dictionary<string, PathInfo> Tree() => new()
    {
        ["/home"] = new(PathKind.Directory, 0),
        ["/home/dev"] = new(PathKind.Directory, 1000),
        ["/home/dev/secrets"] = new(PathKind.Directory, 1000),
        ["/home/dev/link"] = new(PathKind.SymbolicLink, 1000),
        ["/home/dev/rootdir"] = new(PathKind.Directory, 0),
        ["/home/dev/file"] = new(PathKind.Other, 1000),
        ["/home/dev/rootdir/x"] = new(PathKind.Directory, 1000),
    };

    public static TheoryData<string, string?> MountPoints => new()
    {
        { "/home/dev/secrets", null },
        { "/home/dev/new", null },   // missing: the user's home is its parent
        { "secrets", "not an absolute path" },
        { "/home/dev/../root/secrets", "not a normalised path" },
        { "/home/dev/secrets/", "not a normalised path" },
        { "/etc/secrets", "not inside the home folder /home/dev" },
        { "/home/dev", "not inside the home folder /home/dev" },
        { "/home/dev/link", "/home/dev/link is a symbolic link" },
        { "/home/dev/link/below", "/home/dev/link is a symbolic link" },
        { "/home/dev/rootdir", "not owned by the user (uid 0, want 1000)" },
        { "/home/dev/rootdir/new", "its parent is not a directory of the user" },
        { "/home/dev/file", "/home/dev/file is not a directory" },
        { "/home/dev/missing/deeper", "/home/dev/missing does not exist" },
    };

    [Theory, MemberData(nameof(MountPoints))]
    public void A_mount_point_is_accepted_only_as_an_unlinked_directory_of_the_user_in_the_home(string mount, string? refusal)
    {
        if (refusal is null) Assert.Equal(mount, MountPointPolicy.Check(mount, "/home/dev", 1000, new Paths(Tree())));
        else Assert.Contains(refusal, Assert.Throws<VaultException>(() => MountPointPolicy.Check(mount, "/home/dev", 1000, new Paths(Tree()))).Message);
    }

    [Fact]
    public void The_names_come_from_the_callers_uid_and_the_helpers_namespace()
    {
        var names = RootContext.Derive(new RootRequest.Lock("/home/dev/secrets", "64", LockMode.Erase), 1000, new Users(), "mnt:[4026532999]", new Paths(Tree()));
        Assert.Equal("strata-vault-dev-4026532999", names.Mapping);
        Assert.Equal("/run/strata-vault/dev-4026532999/vault.img", names.Image);
        Assert.Throws<VaultException>(() => RootContext.Derive(new RootRequest.Lock("/home/dev/secrets", "64", LockMode.Erase), 1234, new Users(), "mnt:[1]", new Paths(Tree())));
    }

    [Theory]
    [InlineData(0, null, 0)]
    [InlineData(0, "1000", 1000)]
    public void The_caller_is_SUDO_UID_under_sudo_and_root_otherwise(int realUid, string? sudoUid, int caller) =>
        Assert.Equal(caller, RootContext.CallerUid(realUid, sudoUid));

    [Theory]
    [InlineData(1000, null, "must run as root")]
    [InlineData(0, "dev", "is not a uid")]
    [InlineData(0, "-1", "is not a uid")]
    public void A_helper_not_run_as_root_or_with_a_bad_SUDO_UID_refuses(int realUid, string? sudoUid, string message) =>
        Assert.Contains(message, Assert.Throws<VaultException>(() => RootContext.CallerUid(realUid, sudoUid)).Message);

    [Theory]
    [InlineData("", 64)]
    [InlineData("8", 8)]
    [InlineData("256", 256)]
    public void A_size_parses(string text, int mib) => Assert.Equal(mib, VaultSize.Parse(text).MiB);

    [Theory]
    [InlineData("7")]
    [InlineData("-5")]
    [InlineData("64M")]
    [InlineData("99999999")]
    public void A_bad_size_is_refused_with_the_rule(string text) =>
        Assert.Contains("at least 8", Assert.Throws<VaultException>(() => VaultSize.Parse(text)).Message);

    [Fact]
    public void A_size_the_machine_cannot_hold_is_refused_before_anything_is_allocated()
    {
        var machine = new Machine();
        machine.Kernel.AvailableMemory = 100L << 20;   // 100 MiB available: at most 50 for a vault; it wants 64
        var rc = machine.Helper(new RootRequest.Unlock("/home/dev/secrets", "64", UnlockMode.New, "1-1"), Pass);
        Assert.Equal(1, rc);
        Assert.Contains("STRATA_VAULT_SIZE_MB=64 does not fit: this machine has 100 MiB of memory available", machine.Console.Messages.ToString());
        Assert.False(machine.Kernel.RamFolderMounted);
        Assert.Null(machine.Kernel.ImageFile);
    }

    public static TheoryData<string[]> Requests => new()
    {
        new[] { "/home/dev/secrets", "64", "preflight" },
        new[] { "/home/dev/secrets", "64", "unlock", "new", "123-456" },
        new[] { "/home/dev/secrets", "64", "lock", "keep" },
        new[] { "/home/dev/secrets", "64", "clean" },
        new[] { "/home/dev/secrets", "64", "abort", "123-456", "erase" },
    };

    [Theory, MemberData(nameof(Requests))]
    public void A_helper_request_round_trips_through_its_argv(string[] args) =>
        Assert.Equal(args, RootRequest.Parse(args).ToArguments());

    [Theory]
    [InlineData("/home/dev/secrets", "64", "unlock", "new", "$(rm -rf /)")]
    [InlineData("/home/dev/secrets", "64", "lock", "maybe")]
    [InlineData("/home/dev/secrets", "64", "format")]
    [InlineData("unlock", "/home/dev/secrets")]
    public void A_malformed_helper_request_is_refused(params string[] args) =>
        Assert.Equal(ExitCodes.Usage, Assert.Throws<VaultException>(() => RootRequest.Parse(args)).ExitCode);

    [Fact]
    public void An_empty_passphrase_reaching_the_helper_is_refused_before_anything_is_made()
    {
        var machine = new Machine();
        Assert.Equal(1, machine.Helper(new RootRequest.Unlock("/home/dev/secrets", "64", UnlockMode.New, "1-1"), ""));
        Assert.Contains("no passphrase given to the helper", machine.Console.Messages.ToString());
        NothingLeft(machine.Kernel);
    }
}
