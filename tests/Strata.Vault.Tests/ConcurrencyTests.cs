using Strata.Vault.Root;
using Strata.Vault.States;
using Strata.Vault.Tests.Fakes;
using Strata.Vault.User;
using static Strata.Vault.Tests.Support;

namespace Strata.Vault.Tests;

/// <summary>Two terminals at once (two tmux panes), and a mapping another opener still holds.</summary>
public class ConcurrencyTests
{
    [Fact]
    public void Two_unlocks_at_once_one_opens_the_other_says_already_unlocked_and_uses_no_passphrase()
    {
        var machine = new Machine(FakeKernel.Sealed(Key, "kept.txt"));
        // Both read the state (sealed) and prompt; the second answers first and opens the vault.
        var (firstSaid, secondSaid) = (new RecordingConsole(), new RecordingConsole());
        var first = SealedVault();
        first.OnPrompt["Vault passphrase: "] = () =>
        {
            Assert.Equal(0, machine.Unlock(SealedVault(), nonce: "200-2", console: secondSaid));
            return false;
        };
        Assert.Equal(0, machine.Unlock(first, nonce: "100-1", console: firstSaid));

        Assert.Contains("vault: unlocked:", secondSaid.Messages.ToString());
        Assert.DoesNotContain("vault: unlocked:", firstSaid.Messages.ToString());
        Assert.Contains("already unlocked by another session meanwhile", firstSaid.Messages.ToString());
        Assert.Equal("200-2", machine.Kernel.Opener);
        Assert.Single(machine.Kernel.Loops);
        Assert.Contains("kept.txt", machine.Kernel.ImageFile!.Files);
    }

    [Fact]
    public void An_unlock_interrupted_while_its_helper_runs_leaves_a_vault_another_session_opened_alone()
    {
        var machine = new Machine(FakeKernel.Sealed(Key, "kept.txt"));
        var third = SealedVault();
        third.OnPrompt["Vault passphrase: "] = () =>
        {
            Assert.Equal(0, machine.Unlock(SealedVault(), nonce: "200-2", console: new RecordingConsole()));   // another pane opens it
            return false;
        };
        UserSide? user = null;
        int? handlerCode = null;
        // Ctrl+C while the third's helper runs (it finds the vault open): the signal handler runs.
        machine.EveryHelper = (request, _, _) => { if (request is RootRequest.Unlock { Nonce: "300-3" }) handlerCode = user!.Interrupt(VaultSignal.Int); };
        var rc = machine.Run((_, _) => { user = machine.User(third, "300-3"); return user.Unlock(); }, third, "300-3", null);
        Assert.Equal(130, handlerCode);
        Assert.Equal(130, rc);
        Assert.Equal("unlocked", machine.State.Name);
        Assert.Equal("200-2", machine.Kernel.Opener);
        Assert.Contains("kept.txt", machine.Kernel.ImageFile!.Files);
    }

    [Fact]
    public void A_signal_while_the_helper_completes_closes_what_this_attempt_opened()
    {
        var machine = new Machine();
        UserSide? user = null;
        int? handlerCode = null;
        machine.EveryHelper = (request, system, _) =>
        {
            if (request is RootRequest.Unlock) system.After = step => { if (step == "WriteOpener") machine.WhenHelperEnds = () => handlerCode = user!.Interrupt(VaultSignal.Term); };
        };
        var terminal = NewVault();
        var rc = machine.Run((_, _) => { user = machine.User(terminal, "100-1"); return user.Unlock(); }, terminal, "100-1", null);
        Assert.Equal(143, rc);
        Assert.Equal(143, handlerCode);
        NothingLeft(machine.Kernel);
        Assert.Contains("unlock aborted by SIGTERM; nothing is left open", machine.Console.Messages.ToString());
    }

    [Fact]
    public void A_second_command_waits_for_the_lock_and_an_interrupt_while_waiting_changes_nothing()
    {
        var machine = new Machine(FakeKernel.Sealed(Key));
        machine.Kernel.LockHeld = true;   // another unlock or lock runs
        var interruption = new Interruption();
        var start = machine.Clock.Now;
        machine.Clock.OnSleep = () => { if (machine.Clock.Now - start > TimeSpan.FromSeconds(2)) interruption.Request(VaultSignal.Int); };
        var rc = machine.Helper(new RootRequest.Unlock("/home/dev/secrets", "64", UnlockMode.Sealed, "9-9"), Pass, interruption: interruption);
        Assert.Equal(130, rc);
        Assert.Contains("another vault unlock or lock of dev is running; waiting for it", machine.Console.Messages.ToString());
        Assert.Equal("sealed", machine.State.Name);
        Assert.True(machine.Kernel.LockHeld);   // still the other's
    }

    [Fact]
    public void A_lock_held_for_too_long_is_refused_after_300_seconds()
    {
        var machine = new Machine(FakeKernel.Sealed(Key));
        machine.Kernel.LockHeld = true;
        var rc = machine.Helper(new RootRequest.Lock("/home/dev/secrets", "64", LockMode.Erase));
        Assert.Equal(1, rc);
        Assert.Contains("still runs after 300 s; refusing", machine.Console.Messages.ToString());
        Assert.Equal("sealed", machine.State.Name);
    }

    [Fact]
    public void A_mapping_under_deferred_removal_that_is_still_held_is_waited_for_not_taken_for_a_leftover()
    {
        var machine = new Machine(FakeKernel.Unlocked(Key, "kept.txt"));
        // The session crashes (its mount goes) while a probe holds the mapping for 3 s.
        machine.Kernel.DmMapping!.Holders = 1;
        machine.Kernel.DmMapping.HoldersLeaveAt = machine.Kernel.Now + TimeSpan.FromSeconds(3);
        machine.Kernel.MountStack.Remove(FakeKernel.MountKind.Vault);
        Assert.Equal(3, machine.Status());

        Assert.Equal(0, machine.Unlock(SealedVault()));
        Assert.Contains("is being removed but is still held open (1 opener(s)); waiting up to 30s for it to go", machine.Console.Messages.ToString());
        Assert.Contains("kept.txt", machine.Kernel.ImageFile!.Files);
        Assert.Single(machine.Kernel.Loops);
    }

    [Fact]
    public void A_mapping_held_beyond_the_wait_is_refused_with_the_number_of_openers()
    {
        var machine = new Machine(FakeKernel.Unlocked(Key, "kept.txt"));
        machine.Kernel.DmMapping!.Holders = 2;   // a copy of the mount in another namespace: it never goes by itself
        machine.Kernel.MountStack.Remove(FakeKernel.MountKind.Vault);
        Assert.Equal(1, machine.Lock("--erase"));
        var said = machine.Console.Messages.ToString();
        Assert.Contains("cannot close mapping strata-vault-dev-4026532281: it is still open (2 opener(s)", said);
        Assert.NotNull(machine.Kernel.ImageFile);   // nothing removed under an open mapping
    }
}
