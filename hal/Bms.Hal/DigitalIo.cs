namespace Bms.Hal
{
    /// <summary>A digital output such as a contactor coil driver or the precharge relay. true = energised.</summary>
    public interface IDigitalOutput
    {
        /// <summary>Drives the output.</summary>
        void Write(bool energised);

        /// <summary>The state last written (not a measurement: use a feedback input for that).</summary>
        bool State { get; }
    }

    /// <summary>A digital input such as a contactor auxiliary feedback contact or the HV interlock loop. true = active.</summary>
    public interface IDigitalInput
    {
        /// <summary>Samples the input now.</summary>
        bool Read();
    }
}
