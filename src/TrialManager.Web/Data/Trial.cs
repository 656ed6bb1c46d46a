namespace TrialManager.Web.Data;

/// <summary>A trial run on this installation. Its design comes from a protocol file; this row is its identity.</summary>
public sealed class Trial
{
    public Guid Id { get; set; } = Guid.CreateVersion7();

    public string Code { get; set; } = "";

    public string Title { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }
}
