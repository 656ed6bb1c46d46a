using TrialManager.Domain.Access;

namespace TrialManager.Domain.Tests.Access;

public class TrialRolesTests
{
    [Fact]
    public void Administrator_and_data_manager_are_blinded()
    {
        Assert.DoesNotContain(TrialRoles.Administrator, TrialRoles.Unblinded);
        Assert.DoesNotContain(TrialRoles.DataManager, TrialRoles.Unblinded);
        Assert.DoesNotContain(TrialRoles.SiteCoordinator, TrialRoles.Unblinded);
        Assert.DoesNotContain(TrialRoles.Investigator, TrialRoles.Unblinded);
    }

    [Fact]
    public void Every_special_role_is_a_known_role()
    {
        foreach (var role in TrialRoles.SiteScoped.Concat(TrialRoles.Unblinded).Concat(TrialRoles.RequireTwoFactor))
        {
            Assert.True(TrialRoles.IsKnown(role));
        }

        Assert.False(TrialRoles.IsKnown("administrator"));
        Assert.Equal(6, TrialRoles.All.Count);
    }
}
