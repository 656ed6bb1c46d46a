using Microsoft.Extensions.DependencyInjection;
using TrialManager.Web.Authorization;

namespace TrialManager.Benchmarks.Generation;

/// <summary>What a running step can reach: the request's services, the participant's state so far, and the trial.</summary>
internal sealed class StepContext(IServiceProvider services, ParticipantRun participant, RunContext run, CancellationToken cancellation)
{
    public T Get<T>()
        where T : notnull => services.GetRequiredService<T>();

    public ParticipantRun Participant => participant;

    public RunContext Run => run;

    public CancellationToken Cancellation => cancellation;
}

/// <summary>The trial being filled, once it exists.</summary>
internal sealed class RunContext(Guid trialId, string password, IReadOnlyDictionary<string, Guid> siteIds)
{
    public Guid TrialId => trialId;

    /// <summary>The accounts' password, which signing asks for again.</summary>
    public string Password => password;

    /// <summary>Site ids by site code.</summary>
    public IReadOnlyDictionary<string, Guid> SiteIds => siteIds;
}

/// <summary>
/// What the operations have handed back for one participant so far (their id, kit codes, form and event ids), which
/// later steps need: the generator only knows these by asking the app, as a person at the site would read them off
/// the page.
/// </summary>
internal sealed class ParticipantRun(Guid siteId, string label)
{
    public Guid SiteId => siteId;

    /// <summary>Site code and place in the site's plan, for messages before the participant has a number.</summary>
    public string Label => label;

    public Guid Id { get; set; }

    public string Number { get; set; } = "";

    /// <summary>Kit codes in the order the kits were dispensed.</summary>
    public List<string> Kits { get; } = [];

    public Dictionary<(string Visit, string Form), Guid> FormEntries { get; } = [];

    /// <summary>Adverse event ids by their number in the plan.</summary>
    public Dictionary<int, Guid> AdverseEvents { get; } = [];

    /// <summary>Data query ids by their number in the plan.</summary>
    public Dictionary<int, Guid> Queries { get; } = [];
}

/// <summary>A step an operation refused: the generator never skips one, so the run stops with the operation's own messages.</summary>
public sealed class GenerationStepException : Exception
{
    public GenerationStepException()
    {
    }

    public GenerationStepException(string message)
        : base(message)
    {
    }

    public GenerationStepException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

internal static class Outcome
{
    public static void Check(OperationResult result)
    {
        if (!result.Succeeded)
        {
            throw new GenerationStepException("refused: " + string.Join(" ", result.Errors.Select(e => e.Key.Length > 0 ? $"[{e.Key}] {string.Join(" ", e.Value)}" : string.Join(" ", e.Value))));
        }
    }

    public static T Check<T>(OperationResult<T> result)
    {
        Check(result.Outcome);
        return result.Value ?? throw new GenerationStepException("succeeded without a value");
    }
}
