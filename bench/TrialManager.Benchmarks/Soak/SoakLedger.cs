using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace TrialManager.Benchmarks.Soak;

/// <summary>What a request was, as the report counts them.</summary>
public enum RequestKind
{
    /// <summary>A GET answered with a page (HTML).</summary>
    Page,

    /// <summary>A GET answered with a redirect (after a form post, or to sign in).</summary>
    Redirect,

    /// <summary>A form posted.</summary>
    Form,

    /// <summary>A GET answered with a PDF.</summary>
    Pdf,
}

/// <summary>Something that went wrong: an unexpected answer, a timeout, or a form that came back with messages.</summary>
public sealed record SoakError(TimeSpan At, string Person, string Operation, string Method, string Url, int? Status, string Detail)
{
    public override string ToString() =>
        $"{At:hh\\:mm\\:ss} {Person} / {Operation}: {Method} {Url} → {(Status is { } s ? s.ToString(System.Globalization.CultureInfo.InvariantCulture) : "no answer")}: {Detail}";
}

/// <summary>Thrown when an answer is not what the step expects; the operation stops there and the person goes on with the next one.</summary>
public sealed class UnexpectedAnswerException(string method, string url, HttpStatusCode? status, string detail) : Exception($"{method} {url} → {(int?)status}: {detail}")
{
    public string Method { get; } = method;

    public string Url { get; } = url;

    public int? Status { get; } = (int?)status;

    public string Detail { get; } = detail;
}

/// <summary>The run's counts, shared by every simulated person (all updates are interlocked or concurrent).</summary>
public sealed class SoakLedger(int instances)
{
    /// <summary>Errors kept whole for the report; later ones are only counted.</summary>
    public const int ErrorsKept = 20;

    private readonly long[,] _requests = new long[Enum.GetValues<RequestKind>().Length, instances];
    private readonly ConcurrentDictionary<string, OperationTally> _operations = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<SoakError> _errors = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _errorCount;

    public int Instances => instances;

    public int ErrorCount => Volatile.Read(ref _errorCount);

    public IReadOnlyList<SoakError> FirstErrors => [.. _errors];

    public IReadOnlyDictionary<string, OperationTally> Operations => _operations;

    public TimeSpan Elapsed => _clock.Elapsed;

    public long Requests(RequestKind kind, int instance) => Interlocked.Read(ref _requests[(int)kind, instance]);

    public long Requests(int instance) => Enum.GetValues<RequestKind>().Sum(k => Requests(k, instance));

    public long TotalRequests => Enumerable.Range(0, instances).Sum(Requests);

    public void Request(RequestKind kind, int instance) => Interlocked.Increment(ref _requests[(int)kind, instance]);

    public void Done(string operation) => _operations.GetOrAdd(operation, _ => new OperationTally()).Done();

    public void Failed(string person, string operation, UnexpectedAnswerException failure) =>
        Error(new SoakError(_clock.Elapsed, person, operation, failure.Method, failure.Url, failure.Status, failure.Detail), operation);

    public void Error(SoakError error, string? operation = null)
    {
        if (operation is not null)
        {
            _operations.GetOrAdd(operation, _ => new OperationTally()).Failed();
        }

        if (Interlocked.Increment(ref _errorCount) <= ErrorsKept)
        {
            _errors.Enqueue(error);
        }
    }
}

/// <summary>How often one kind of operation finished, and how often it failed.</summary>
public sealed class OperationTally
{
    private long _done;
    private long _failed;

    public long Succeeded => Interlocked.Read(ref _done);

    public long FailedCount => Interlocked.Read(ref _failed);

    public void Done() => Interlocked.Increment(ref _done);

    public void Failed() => Interlocked.Increment(ref _failed);
}
