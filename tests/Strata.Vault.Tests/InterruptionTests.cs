using Strata.Vault.States;
using Strata.Vault.Tests.Fakes;
using static Strata.Vault.Tests.Support;

namespace Strata.Vault.Tests;

/// <summary>
/// An unlock or a lock stopped after every one of its steps: killed (SIGKILL: no undo runs), signalled (the helper
/// undoes), or failing at that step. The next command must tell the truth and clean up.
/// </summary>
public class InterruptionTests
{
    private static readonly string[] NewVaultSteps =
        ["MountRamFolder", "CreateImage", "FormatLuks", "OpenLuks", "MakeFilesystem", "MarkImageComplete", "MountVault", "MarkDeferredRemoval", "WriteOpener"];
    private static readonly string[] ReopenSteps = ["OpenLuks", "MountVault", "MarkDeferredRemoval", "WriteOpener"];
    private static readonly string[] EraseSteps = ["UnmountVault", "WipeKeyslots", "RemoveImage", "UnmountRamFolder", "RemoveRamFolder", "RemoveOpener"];
    private static readonly string[] KeepSteps = ["UnmountVault", "RemoveOpener"];

    [Fact]
    public void The_step_lists_are_the_steps_the_helper_runs()
    {
        // Guards the tables below: a step added to the helper must be added here, so it is interrupted too.
        Assert.Equal(NewVaultSteps, Steps(new Machine(), m => m.Unlock(NewVault())));
        Assert.Equal(ReopenSteps, Steps(new Machine(FakeKernel.Sealed(Key)), m => m.Unlock(SealedVault())));
        Assert.Equal(EraseSteps, Steps(new Machine(FakeKernel.Unlocked(Key)), m => m.Lock("--erase")));
        Assert.Equal(KeepSteps, Steps(new Machine(FakeKernel.Unlocked(Key)), m => m.Lock("--keep")));
    }

    private static List<string> Steps(Machine machine, Func<Machine, int> command)
    {
        var steps = new List<string>();
        machine.NextHelper = (system, _) => system.After = steps.Add;
        Assert.Equal(0, command(machine));
        return steps.Where(s => s != "MountPlaceholder").ToList();
    }

    public static TheoryData<string> NewSteps => new(NewVaultSteps);
    public static TheoryData<string> SealedSteps => new(ReopenSteps);
    public static TheoryData<string> LockEraseSteps => new(EraseSteps);
    public static TheoryData<string> LockKeepSteps => new(KeepSteps);

    [Theory, MemberData(nameof(NewSteps))]
    public void A_new_vault_unlock_killed_after_a_step_is_told_truthfully_and_cleaned_by_the_next_unlock(string step)
    {
        var machine = new Machine();
        machine.NextHelper = (system, _) => system.After = s => { if (s == step) system.Kill(); };
        Assert.Equal(Machine.Killed, machine.Unlock(NewVault()));

        // The truth: unlocked only if the vault is mounted; otherwise broken (leftovers), never "locked" with leftovers.
        var state = machine.State;
        Assert.Equal(step is "MountVault" or "MarkDeferredRemoval" or "WriteOpener" ? "unlocked" : "broken", state.Name);
        Assert.Equal(state.StatusCode, machine.Status());

        var rc = machine.Unlock(NewVault());
        Assert.True(rc == 0, machine.Console.Messages.ToString());
        Assert.Equal("unlocked", machine.State.Name);
        Assert.Single(machine.Kernel.Loops);
        Assert.Equal(0, machine.Lock("--erase"));
        NothingLeft(machine.Kernel);
    }

    [Theory, MemberData(nameof(NewSteps))]
    public void A_new_vault_unlock_killed_after_a_step_is_cleaned_by_the_next_lock(string step)
    {
        var machine = new Machine();
        machine.NextHelper = (system, _) => system.After = s => { if (s == step) system.Kill(); };
        machine.Unlock(NewVault());
        Assert.Equal(0, machine.Lock("--erase"));
        NothingLeft(machine.Kernel);
        Assert.Equal(1, machine.Status());
    }

    [Theory, MemberData(nameof(SealedSteps))]
    public void A_sealed_vault_unlock_killed_after_a_step_keeps_its_files_and_reopens(string step)
    {
        var machine = new Machine(FakeKernel.Sealed(Key, "kept.txt"));
        machine.NextHelper = (system, _) => system.After = s => { if (s == step) system.Kill(); };
        Assert.Equal(Machine.Killed, machine.Unlock(SealedVault()));
        Assert.Equal(step == "OpenLuks" ? "broken" : "unlocked", machine.State.Name);

        Assert.Equal(0, machine.Unlock(SealedVault()));
        Assert.Contains("kept.txt", machine.Kernel.ImageFile!.Files);
        Assert.Equal(0, machine.Lock("--keep"));
        SealedWith(machine.Kernel, "kept.txt");
    }

    [Theory, MemberData(nameof(NewSteps))]
    public void A_new_vault_unlock_signalled_after_a_step_undoes_everything_and_exits_with_the_signal(string step)
    {
        var machine = new Machine();
        machine.NextHelper = (system, interruption) => system.After = s => { if (s == step) interruption.Request(VaultSignal.Term); };
        var rc = machine.Unlock(NewVault());
        if (step == NewVaultSteps[^1])
        {
            Assert.Equal(0, rc);   // after the last step there is nothing left to interrupt: the unlock is complete
            return;
        }
        Assert.Equal(143, rc);
        NothingLeft(machine.Kernel);
        Assert.Equal(1, machine.Status());
    }

    [Theory, MemberData(nameof(SealedSteps))]
    public void A_sealed_vault_unlock_signalled_after_a_step_goes_back_to_sealed(string step)
    {
        var machine = new Machine(FakeKernel.Sealed(Key, "kept.txt"));
        machine.NextHelper = (system, interruption) => system.After = s => { if (s == step) interruption.Request(VaultSignal.Int); };
        var rc = machine.Unlock(SealedVault());
        if (step == ReopenSteps[^1]) { Assert.Equal(0, rc); return; }
        Assert.Equal(130, rc);
        SealedWith(machine.Kernel, "kept.txt");
    }

    [Theory, MemberData(nameof(NewSteps))]
    public void A_failing_step_of_a_new_vault_unlock_is_undone_and_reported(string step)
    {
        var machine = new Machine();
        machine.NextHelper = (system, _) => system.FailAt = step;
        var rc = machine.Unlock(NewVault());
        Assert.NotEqual(0, rc);
        Assert.Contains($"{step} failed", machine.Console.Messages.ToString());
        NothingLeft(machine.Kernel);
    }

    [Theory, MemberData(nameof(SealedSteps))]
    public void A_failing_step_of_a_sealed_vault_unlock_is_undone_back_to_sealed(string step)
    {
        var machine = new Machine(FakeKernel.Sealed(Key, "kept.txt"));
        machine.NextHelper = (system, _) => system.FailAt = step;
        Assert.NotEqual(0, machine.Unlock(SealedVault()));
        SealedWith(machine.Kernel, "kept.txt");
    }

    [Theory, MemberData(nameof(LockEraseSteps))]
    public void A_lock_killed_after_a_step_is_finished_by_the_next_lock_and_status_tells_the_truth_meanwhile(string step)
    {
        var machine = new Machine(FakeKernel.Unlocked(Key, "note.txt"));
        machine.NextHelper = (system, _) => system.After = s => { if (s == step) system.Kill(); };
        Assert.Equal(Machine.Killed, machine.Lock("--erase"));
        Assert.NotEqual("unlocked", machine.State.Name);   // the mount went first: never "unlocked" without it
        Assert.Equal(machine.State.StatusCode, machine.Status());
        Assert.Equal(0, machine.Lock("--erase"));
        NothingLeft(machine.Kernel);
    }

    [Theory, MemberData(nameof(LockKeepSteps))]
    public void A_lock_keep_killed_after_a_step_is_finished_by_the_next_lock_keep(string step)
    {
        var machine = new Machine(FakeKernel.Unlocked(Key, "note.txt"));
        machine.NextHelper = (system, _) => system.After = s => { if (s == step) system.Kill(); };
        machine.Lock("--keep");
        Assert.Equal(0, machine.Lock("--keep"));
        SealedWith(machine.Kernel, "note.txt");
    }

    [Theory, MemberData(nameof(LockEraseSteps))]
    public void A_lock_ignores_signals_once_it_has_started(string step)
    {
        var machine = new Machine(FakeKernel.Unlocked(Key, "note.txt"));
        machine.NextHelper = (system, interruption) => system.After = s => { if (s == step) interruption.Request(VaultSignal.Int); };
        Assert.Equal(0, machine.Lock("--erase"));
        NothingLeft(machine.Kernel);
    }

    [Fact]
    public void A_helper_killed_while_it_holds_the_lock_does_not_block_the_next_command()
    {
        var machine = new Machine();
        machine.NextHelper = (system, _) => system.After = s => { if (s == "FormatLuks") system.Kill(); };
        machine.Unlock(NewVault());
        Assert.False(machine.Kernel.LockHeld);   // flock goes with its process
        Assert.Equal(0, machine.Unlock(NewVault()));
    }
}
