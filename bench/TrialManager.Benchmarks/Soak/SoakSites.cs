using System.Collections.Concurrent;
using TrialManager.Benchmarks.Generation;

namespace TrialManager.Benchmarks.Soak;

/// <summary>A participant the soak enrolled, and how far their schedule has got.</summary>
internal sealed class SoakParticipant(Guid id, string siteCode, ParticipantProfile profile)
{
    public Guid Id { get; } = id;

    public string SiteCode { get; } = siteCode;

    internal ParticipantProfile Profile { get; } = profile;

    /// <summary>The next step of <see cref="SoakVisitStep"/> list to do.</summary>
    public int NextStep { get; set; }

    /// <summary>The kit dispensed at randomization (the adherence form asks for the kit returned).</summary>
    public string KitCode { get; set; } = "";

    /// <summary>Forms completed so far, by visit (each such visit has a CRF PDF worth reading).</summary>
    public ConcurrentQueue<(string Visit, string Form)> FormsEntered { get; } = new();
}

/// <summary>
/// What the simulated people share about a site: its participants, and which of them someone is working on. A
/// participant whose visit is being entered is held by that one person until the visit is done (as at a real site, one
/// person sees the participant at a time), so two people never race to record the same visit; reading needs no hold.
/// </summary>
internal sealed class SoakSite(string code, int enrolmentCap)
{
    private readonly LinkedList<SoakParticipant> _waiting = new();
    private readonly ConcurrentQueue<Guid> _adverseEvents = new();
    private readonly List<SoakParticipant> _participants = [];
    private readonly List<Guid> _adverseEventsSeen = [];
    private int _enrolmentsStarted;
    private int _strata;

    public string Code { get; } = code;

    public int Randomized
    {
        get
        {
            lock (_participants)
            {
                return _participants.Count;
            }
        }
    }

    /// <summary>Claims one enrolment under the site's cap; false once the cap is reached (the list and stock were sized for it).</summary>
    public bool TryStartEnrolment()
    {
        if (Interlocked.Increment(ref _enrolmentsStarted) <= enrolmentCap)
        {
            return true;
        }

        Interlocked.Decrement(ref _enrolmentsStarted);
        return false;
    }

    /// <summary>Gives back a claim whose enrolment failed.</summary>
    public void EnrolmentFailed() => Interlocked.Decrement(ref _enrolmentsStarted);

    /// <summary>Alternates the baseline-severity strata (true: the higher one), so both fill evenly.</summary>
    public bool NextStratumHigh() => Interlocked.Increment(ref _strata) % 2 == 0;

    public void AddRandomized(SoakParticipant participant)
    {
        lock (_participants)
        {
            _participants.Add(participant);
        }

        Release(participant, visitsRemain: true);
    }

    /// <summary>Holds the randomized participant waiting longest whose next visit <paramref name="canDo"/> (e.g. only coordinators dispense), or null.</summary>
    public SoakParticipant? TakeForVisit(Func<SoakParticipant, bool> canDo)
    {
        lock (_waiting)
        {
            for (var node = _waiting.First; node is not null; node = node.Next)
            {
                if (canDo(node.Value))
                {
                    _waiting.Remove(node);
                    return node.Value;
                }
            }
        }

        return null;
    }

    /// <summary>Lets go of a participant; back at the end of the queue if visits remain.</summary>
    public void Release(SoakParticipant participant, bool visitsRemain)
    {
        if (visitsRemain)
        {
            lock (_waiting)
            {
                _waiting.AddLast(participant);
            }
        }
    }

    public SoakParticipant? AnyParticipant(Random random)
    {
        lock (_participants)
        {
            return _participants.Count == 0 ? null : _participants[random.Next(_participants.Count)];
        }
    }

    public void AdverseEventReported(Guid id)
    {
        lock (_adverseEventsSeen)
        {
            _adverseEventsSeen.Add(id);
        }

        _adverseEvents.Enqueue(id);
    }

    /// <summary>Holds an adverse event for a follow-up (the one longest without one), or null.</summary>
    public Guid? TakeAdverseEvent() => _adverseEvents.TryDequeue(out var id) ? id : null;

    public void ReleaseAdverseEvent(Guid id) => _adverseEvents.Enqueue(id);

    public Guid? AnyAdverseEvent(Random random)
    {
        lock (_adverseEventsSeen)
        {
            return _adverseEventsSeen.Count == 0 ? null : _adverseEventsSeen[random.Next(_adverseEventsSeen.Count)];
        }
    }
}
