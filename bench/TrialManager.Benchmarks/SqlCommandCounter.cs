using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace TrialManager.Benchmarks;

/// <summary>Counts the SQL commands the app sends (and keeps the text of the last few), so a table can say how many round trips an operation costs.</summary>
internal sealed class SqlCommandCounter : DbCommandInterceptor
{
    private long _count;

    public long Count => Interlocked.Read(ref _count);

    /// <summary>When set, every command's text is kept here (for a one-off look at what one operation sends).</summary>
    public ConcurrentQueue<string>? Capture { get; set; }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result) => Counted(command, result);

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default) => ValueTask.FromResult(Counted(command, result));

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default) => ValueTask.FromResult(Counted(command, result));

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default) => ValueTask.FromResult(Counted(command, result));

    private T Counted<T>(DbCommand command, T result)
    {
        Interlocked.Increment(ref _count);
        Capture?.Enqueue(command.CommandText);
        return result;
    }
}
