using System.Diagnostics.CodeAnalysis;

namespace TrialManager.Domain.Protocols;

/// <summary>
/// One problem in a protocol file: where it is (line and column from 1), which field (e.g.
/// <c>visits[3].window_after_days</c>), what is wrong and what would be right.
/// </summary>
public sealed record ProtocolError(string File, int Line, int Column, string FieldPath, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {FieldPath}: {Message}";
}

/// <summary>Either a protocol or the errors that rejected the file; never both, never a partial protocol.</summary>
public sealed class ProtocolLoadResult
{
    private ProtocolLoadResult(Protocol? protocol, IReadOnlyList<ProtocolError> errors)
    {
        Protocol = protocol;
        Errors = errors;
    }

    public Protocol? Protocol { get; }

    public IReadOnlyList<ProtocolError> Errors { get; }

    [MemberNotNullWhen(true, nameof(Protocol))]
    public bool Succeeded => Protocol is not null;

    internal static ProtocolLoadResult Loaded(Protocol protocol) => new(protocol, []);

    internal static ProtocolLoadResult Rejected(IReadOnlyList<ProtocolError> errors) => new(null, errors);
}
