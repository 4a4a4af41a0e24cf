namespace Bms.Firmware.Contactors
{
    /// <summary>State of the main contactors and the precharge circuit.</summary>
    public enum ContactorState
    {
        /// <summary>Everything open; may close on request.</summary>
        Open = 0,
        /// <summary>Negative contactor and precharge relay closed, link capacitance charging (then positive closing).</summary>
        Precharging = 1,
        /// <summary>Both main contactors closed, precharge relay open.</summary>
        Closed = 2,
        /// <summary>Opening: waiting (bounded) for the current to fall below the break limit, then opening.</summary>
        Opening = 3,
        /// <summary>Opened because of a fault; stays open until the fault is reset.</summary>
        Fault = 4,
    }
}
