using System.Text;
using Strata.Vault.Secrets;
using Strata.Vault.Tests.Fakes;
using static Strata.Vault.Tests.Support;

namespace Strata.Vault.Tests;

/// <summary>The passphrase: asked with echo off, never empty, compared as bytes, zeroed on every path.</summary>
public class PassphraseTests
{
    [Fact]
    public void Echo_is_off_before_the_first_prompt_is_shown_and_back_on_after()
    {
        var terminal = NewVault();
        Assert.Equal(0, new Machine().Unlock(terminal));
        Assert.Equal([("New vault passphrase: ", true), ("Confirm vault passphrase: ", true)], terminal.Prompts);
        Assert.False(terminal.EchoIsOff);
        Assert.Contains("lives ONLY in RAM", terminal.Shown.ToString());
    }

    public static TheoryData<string, string?[], string> Refusals => new()
    {
        { "empty", ["", ""], "empty passphrase refused" },
        { "mismatched", ["one", "two"], "passphrases do not match; unlock aborted" },
        { "Ctrl+D at the first prompt", [null], "no passphrase (end of input); unlock aborted" },
        { "Ctrl+D at the confirmation", ["one", null], "no passphrase (end of input); unlock aborted" },
    };

    [Theory, MemberData(nameof(Refusals))]
    public void A_refused_passphrase_creates_nothing_and_every_buffer_is_zeroed(string why, string?[] typed, string message)
    {
        var machine = new Machine();
        var terminal = new FakeTerminal().Type(typed);
        Assert.Equal(1, machine.Unlock(terminal));
        Assert.Contains(message, machine.Console.Messages.ToString());
        Assert.DoesNotContain(machine.Requests, r => r is Root.RootRequest.Unlock);
        Assert.All(terminal.Handed, s => Assert.True(s.IsDisposed, why));
        Assert.False(terminal.EchoIsOff);
        NothingLeft(machine.Kernel);
    }

    [Fact]
    public void Every_buffer_is_zeroed_after_a_successful_unlock_too()
    {
        var terminal = NewVault();
        Assert.Equal(0, new Machine().Unlock(terminal));
        Assert.Equal(2, terminal.Handed.Count);
        Assert.All(terminal.Handed, s => Assert.True(s.IsDisposed));
    }

    [Fact]
    public void Any_bytes_a_terminal_sends_are_a_passphrase_compared_byte_for_byte()
    {
        var odd = "pässwörd \t\\ 'quote\" $(x) ;\u0001\u007f";
        var machine = new Machine();
        Assert.Equal(0, machine.Unlock(NewVault(odd)));
        Assert.Equal(Encoding.UTF8.GetBytes(odd), machine.Kernel.ImageFile!.Key);
        Assert.Equal(0, machine.Lock("--keep"));
        Assert.Equal(ExitCodes.WrongPassphrase, machine.Unlock(SealedVault(odd[..^1])));   // one byte short
        Assert.Contains("wrong passphrase; nothing was unlocked", machine.Console.Messages.ToString());
        Assert.Equal("sealed", machine.State.Name);
        Assert.Equal(0, machine.Unlock(SealedVault(odd)));
    }

    [Fact]
    public void A_signal_at_the_prompt_ends_the_attempt_with_its_status_and_nothing_open()
    {
        var machine = new Machine();
        var terminal = NewVault();
        User.UserSide? user = null;
        terminal.OnPrompt["Confirm vault passphrase: "] = () => { Assert.Equal(130, user!.Interrupt(VaultSignal.Int)); return true; };
        var rc = machine.Run((_, _) => { user = machine.User(terminal); return user.Unlock(); }, terminal, "100-1", null);
        Assert.Equal(130, rc);
        Assert.Contains("unlock aborted by SIGINT; nothing is left open", machine.Console.Messages.ToString());
        Assert.All(terminal.Handed, s => Assert.True(s.IsDisposed));
        Assert.False(terminal.EchoIsOff);
        Assert.Empty(machine.Requests.OfType<Root.RootRequest.Unlock>());
        NothingLeft(machine.Kernel);
    }

    [Fact]
    public void A_secret_is_zeroed_and_unusable_after_dispose()
    {
        var secret = Secret.FromBytes("abc"u8);
        Assert.True(secret.SameAs(Secret.FromBytes("abc"u8)));
        Assert.False(secret.SameAs(Secret.FromBytes("abd"u8)));
        secret.Dispose();
        Assert.True(secret.IsDisposed);
        Assert.Equal(0, secret.Length);
        Assert.Throws<ObjectDisposedException>(() => secret.Span.Length);
        secret.Dispose();   // twice is fine (a signal's handler and the main flow)
    }

    [Fact]
    public void An_overlong_passphrase_is_refused()
    {
        using var secret = Secret.FromBytes(new byte[Secret.Capacity - 1]);
        Assert.Throws<VaultException>(() => secret.Append(new byte[2]));
    }
}
