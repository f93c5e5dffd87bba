using Strata.Vault.States;
using Strata.Vault.Tests.Fakes;
using static Strata.Vault.Tests.Support;

namespace Strata.Vault.Tests;

/// <summary>Every command from every state: its exit status, what it says, and the state it leaves (smoke/vault/README.md's table).</summary>
public class CommandMatrixTests
{
    public static readonly Dictionary<string, Func<FakeKernel>> States = new()
    {
        ["locked"] = FakeKernel.Locked,
        ["unlocked, empty"] = () => FakeKernel.Unlocked(Key),
        ["unlocked, with files"] = () => FakeKernel.Unlocked(Key, "note.txt"),
        ["sealed"] = () => FakeKernel.Sealed(Key, "kept.txt"),
        ["broken: stale mapping"] = () => { var k = FakeKernel.Sealed(Key, "kept.txt"); k.DmMapping = new() { Loop = k.AttachLoop(k.ImageFile!, true) }; return k; },
        ["broken: crash during creation"] = () => { var k = FakeKernel.Locked(); k.RamFolderMounted = k.RamFolderExists = true; k.ImageFile = new(); k.AttachLoop(k.ImageFile, false); return k; },
    };

    // state, command, terminal input, exit status, a phrase it says, the state it leaves
    public static TheoryData<string, string, string?, int, string, string> Table => new()
    {
        { "locked", "status", null, 1, "locked: no vault in RAM", "locked" },
        { "locked", "unlock", "new", 0, "unlocked:", "unlocked" },
        { "locked", "lock", null, 0, "already locked", "locked" },
        { "locked", "lock --erase", null, 0, "already locked", "locked" },
        { "locked", "lock --keep", null, 0, "already locked", "locked" },
        { "locked", "preflight", null, 0, "preflight: ok", "locked" },
        { "locked", "paths", null, 0, "mapping=strata-vault-dev-4026532281", "locked" },
        { "unlocked, empty", "status", null, 0, "unlocked:", "unlocked" },
        { "unlocked, empty", "unlock", null, 0, "already unlocked:", "unlocked" },
        { "unlocked, empty", "lock", null, 0, "locked; vault erased", "locked" },
        { "unlocked, with files", "lock", null, 1, "run 'vault lock --erase' to confirm", "unlocked" },
        { "unlocked, with files", "lock", "y", 0, "locked; vault erased", "locked" },
        { "unlocked, with files", "lock", "n", 1, "not locked (nothing erased)", "unlocked" },
        { "unlocked, with files", "lock --erase", null, 0, "locked; vault erased", "locked" },
        { "unlocked, with files", "lock --keep", null, 0, "encrypted image kept in RAM", "sealed" },
        { "unlocked, with files", "preflight", null, 0, "preflight: ok", "unlocked" },
        { "sealed", "status", null, 2, "sealed: encrypted image in RAM", "sealed" },
        { "sealed", "unlock", "sealed", 0, "unlocked:", "unlocked" },
        { "sealed", "lock", null, 1, "the sealed vault may hold files", "sealed" },
        { "sealed", "lock --erase", null, 0, "locked; vault erased", "locked" },
        { "sealed", "lock --keep", null, 0, "already locked (encrypted image kept in RAM)", "sealed" },
        { "broken: stale mapping", "status", null, 3, "broken: leftovers (mapping: strata-vault-dev-4026532281", "broken" },
        { "broken: stale mapping", "unlock", "sealed", 0, "cleaned stale vault state", "unlocked" },
        { "broken: stale mapping", "lock --erase", null, 0, "locked; vault erased", "locked" },
        { "broken: stale mapping", "lock --keep", null, 0, "encrypted image kept in RAM", "sealed" },
        { "broken: crash during creation", "status", null, 3, "RAM folder: yes", "broken" },
        { "broken: crash during creation", "unlock", "new", 0, "cleaned stale vault state", "unlocked" },
        { "broken: crash during creation", "lock", null, 0, "locked; vault erased", "locked" },
        { "broken: crash during creation", "lock --keep", null, 0, "encrypted image kept in RAM", "locked" },
    };

    [Theory, MemberData(nameof(Table))]
    public void A_command_from_a_state_exits_says_and_leaves_what_the_contract_says(string from, string command, string? input, int exit, string says, string leaves)
    {
        var machine = new Machine(States[from]());
        var terminal = input switch
        {
            "new" => NewVault(), "sealed" => SealedVault(), null => new FakeTerminal { StdinIsTerminal = false }, _ => new FakeTerminal().Type(input),
        };
        var args = command.Split(' ');
        var rc = machine.Run(u => args[0] switch
        {
            "status" => u.Status(), "unlock" => u.Unlock(), "lock" => u.Lock(args[1..]), "preflight" => u.Preflight(), _ => u.Paths(),
        }, terminal);

        var said = machine.Console.All + terminal.Shown;
        Assert.True(exit == rc, $"exit {rc}, want {exit}: {said}");
        Assert.Contains(says, said);
        Assert.Equal(leaves, machine.State.Name);
        if (leaves == "locked") NothingLeft(machine.Kernel);
        if (from.Contains("files") && leaves == "unlocked") Assert.Contains("note.txt", machine.Kernel.ImageFile!.Files);
        if (from is "sealed" or "broken: stale mapping" && leaves is "sealed" or "unlocked") Assert.Contains("kept.txt", machine.Kernel.ImageFile!.Files);
    }

    [Fact]
    public void A_non_interactive_lock_of_a_full_vault_asks_nobody_and_names_the_flag()
    {
        var machine = new Machine(FakeKernel.Unlocked(Key, "note.txt"));
        var terminal = new FakeTerminal { StdinIsTerminal = false };
        Assert.Equal(1, machine.Run(u => u.Lock([]), terminal));
        Assert.Empty(terminal.Prompts);
        Assert.Contains("--erase", machine.Console.Messages.ToString());
        Assert.Empty(machine.Requests);   // refused before any privileged call
    }

    [Fact]
    public void Lock_with_an_unknown_option_is_a_usage_error_that_touches_nothing()
    {
        var machine = new Machine(FakeKernel.Unlocked(Key));
        Assert.Equal(ExitCodes.Usage, machine.Lock("--force"));
        Assert.Contains("vault lock [--erase|--keep]", machine.Console.Messages.ToString());
        Assert.Equal("unlocked", machine.State.Name);
    }

    [Fact]
    public void Every_command_makes_at_most_one_privileged_call()
    {
        foreach (var (from, make) in States)
        foreach (var command in new[] { "unlock", "lock --erase", "lock --keep", "preflight" })
        {
            var machine = new Machine(make());
            var args = command.Split(' ');
            machine.Run(u => args[0] == "unlock" ? u.Unlock() : args[0] == "lock" ? u.Lock(args[1..]) : u.Preflight(),
                        from.Contains("sealed") || from.Contains("mapping") ? SealedVault() : NewVault());
            // An unlock of a broken vault cleans first (one call), then unlocks (a second): the script's shape too.
            Assert.True(machine.Requests.Count <= (from.StartsWith("broken") && command == "unlock" ? 2 : 1), $"{from} / {command}: {machine.Requests.Count} calls");
        }
    }

    [Fact]
    public void Unlock_hooks_run_after_mounting_and_a_failing_one_leaves_the_vault_unlocked()
    {
        var machine = new Machine();
        machine.FailingHooks.Add("/home/dev/.config/vault/unlock.d/10-kube");
        Assert.Equal(0, machine.Unlock(NewVault()));
        Assert.Equal(["/home/dev/secrets"], machine.HooksRun);
        Assert.Contains("warning: unlock hook /home/dev/.config/vault/unlock.d/10-kube failed (vault stays unlocked)", machine.Console.Messages.ToString());
        Assert.Equal("unlocked", machine.State.Name);
    }

    [Fact]
    public void A_failed_preflight_names_every_missing_piece_and_unlock_stops_before_prompting()
    {
        var machine = new Machine();
        machine.Kernel.PreflightCached = false;
        machine.Kernel.MissingPieces.AddRange(["kernel has no device-mapper", "capability CAP_SYS_ADMIN is missing"]);
        var terminal = NewVault();
        Assert.Equal(1, machine.Unlock(terminal));
        Assert.Empty(terminal.Prompts);
        var said = machine.Console.Messages.ToString();
        Assert.Contains("preflight: MISSING: kernel has no device-mapper", said);
        Assert.Contains("preflight: MISSING: capability CAP_SYS_ADMIN is missing", said);
        Assert.Contains("FAILED (2 problem(s))", said);
        Assert.False(machine.Kernel.PreflightCached);
    }

    [Fact]
    public void The_first_privileged_call_seals_a_bare_mount_point()
    {
        var machine = new Machine(new FakeKernel());   // the image's empty folder: no placeholder yet, preflight not cached
        Assert.Equal(0, machine.Run(u => u.Preflight()));
        Assert.Equal([FakeKernel.MountKind.Placeholder], machine.Kernel.MountStack);
        Assert.True(machine.Kernel.PreflightCached);
    }

    [Fact]
    public void A_busy_vault_is_not_locked_and_the_message_names_who_holds_it()
    {
        var machine = new Machine(FakeKernel.Unlocked(Key, "note.txt"));
        machine.Kernel.VaultBusy = true;
        Assert.Equal(1, machine.Lock("--erase"));
        var said = machine.Console.Messages.ToString();
        Assert.Contains("it is busy", said);
        Assert.Contains("pid 42 (vim note.txt)", said);
        Assert.Contains("lock incomplete; state is now: unlocked", said);
        Assert.Contains("note.txt", machine.Kernel.ImageFile!.Files);
    }
}
