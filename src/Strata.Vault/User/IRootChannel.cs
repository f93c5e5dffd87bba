using Strata.Vault.Root;
using Strata.Vault.Secrets;

namespace Strata.Vault.User;

/// <summary>
/// The one privileged call of a command: the root helper, through `sudo -n` (or directly for root). The passphrase,
/// if any, goes through its stdin; otherwise stdin is /dev/null, so sudo cannot eat what the user types ahead.
/// </summary>
public interface IRootChannel
{
    int Run(RootRequest request, Secret? passphrase);
    /// <summary>Waits for a helper still running (a signal handler must not look before the helper has undone its work).</summary>
    void WaitForRunning();
}
