namespace TrialManager.Web.Authorization;

/// <summary>The outcome of an operation: success, or messages keyed by the input field they belong to ("" for the form).</summary>
public sealed class OperationResult
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Succeeded => _errors.Count == 0;

    public IReadOnlyDictionary<string, List<string>> Errors => _errors;

    public static OperationResult Success => new();

    public static OperationResult Fail(string field, string message) => new OperationResult().Add(field, message);

    public OperationResult Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var list))
        {
            _errors[field] = list = [];
        }

        list.Add(message);
        return this;
    }
}

/// <summary>An operation result that also carries a value on success (e.g. a new record's id or a one-time password).</summary>
public sealed record OperationResult<T>(OperationResult Outcome, T? Value)
{
    public bool Succeeded => Outcome.Succeeded;
}
