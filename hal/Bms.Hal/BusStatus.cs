namespace Bms.Hal
{
    /// <summary>Outcome of one bus transaction. Anything but <see cref="Ok"/> means the data is not to be used.</summary>
    public enum BusStatus
    {
        /// <summary>Every byte was transferred and acknowledged.</summary>
        Ok = 0,
        /// <summary>The device did not acknowledge its address (absent, asleep or resetting).</summary>
        AddressNack = 1,
        /// <summary>The device stopped acknowledging part way through the data.</summary>
        DataNack = 2,
        /// <summary>The transfer did not complete in time (clock stretching, stuck bus).</summary>
        Timeout = 3,
        /// <summary>Fewer bytes moved than were asked for.</summary>
        PartialTransfer = 4,
        /// <summary>Arbitration loss, bus fault or any other controller-level error.</summary>
        BusError = 5,
    }
}
