using TrialManager.Domain.Protocols;
using TrialManager.Domain.Tests.Protocols;

namespace TrialManager.Domain.Tests.Supply;

internal static class ProtocolsForSupply
{
    private static readonly Lazy<Protocol> PsilocybinProtocol = new(() => ProtocolFiles.Load("psilocybin-mdd.yaml").Protocol!);
    private static readonly Lazy<Protocol> LsdProtocol = new(() => ProtocolFiles.Load("lsd-gad.yaml").Protocol!);

    public static Protocol Psilocybin => PsilocybinProtocol.Value;

    public static Protocol Lsd => LsdProtocol.Value;
}
