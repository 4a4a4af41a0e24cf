namespace Bms.Hal
{
    /// <summary>Hardware watchdog. The firmware kicks it only when every periodic task met its deadline.</summary>
    public interface IWatchdog
    {
        /// <summary>Restarts the watchdog countdown.</summary>
        void Kick();
    }
}
