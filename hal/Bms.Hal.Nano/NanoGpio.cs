using System.Device.Gpio;

namespace Bms.Hal.Nano
{
    /// <summary>A GPIO output (contactor coil driver, precharge relay). Starts de-energised.</summary>
    public sealed class NanoDigitalOutput : IDigitalOutput
    {
        private readonly GpioPin _pin;
        private readonly bool _activeLow;
        private bool _state;

        /// <summary>Opens <paramref name="pinNumber"/> as an output, de-energised.</summary>
        public NanoDigitalOutput(GpioController controller, int pinNumber, bool activeLow)
        {
            _activeLow = activeLow;
            _pin = controller.OpenPin(pinNumber, PinMode.Output);
            Write(false);
        }

        /// <inheritdoc />
        public bool State { get { return _state; } }

        /// <inheritdoc />
        public void Write(bool energised)
        {
            _state = energised;
            _pin.Write(energised != _activeLow ? PinValue.High : PinValue.Low);
        }
    }

    /// <summary>A GPIO input (contactor auxiliary contact, interlock loop).</summary>
    public sealed class NanoDigitalInput : IDigitalInput
    {
        private readonly GpioPin _pin;
        private readonly bool _activeLow;

        /// <summary>Opens <paramref name="pinNumber"/> as an input with pull-up (feedback contacts switch to ground).</summary>
        public NanoDigitalInput(GpioController controller, int pinNumber, bool activeLow)
        {
            _activeLow = activeLow;
            _pin = controller.OpenPin(pinNumber, PinMode.InputPullUp);
        }

        /// <inheritdoc />
        public bool Read()
        {
            return (_pin.Read() == PinValue.High) != _activeLow;
        }
    }

    /// <summary>
    /// Kicks an external watchdog supervisor (e.g. TPS3823) by toggling its WDI pin, as BMS boards do: the
    /// supervisor resets the MCU, and with it de-energises the contactor drivers, if the kicks stop.
    /// </summary>
    public sealed class GpioWatchdog : IWatchdog
    {
        private readonly GpioPin _pin;
        private bool _level;

        /// <summary>Opens the WDI pin.</summary>
        public GpioWatchdog(GpioController controller, int pinNumber)
        {
            _pin = controller.OpenPin(pinNumber, PinMode.Output);
        }

        /// <inheritdoc />
        public void Kick()
        {
            _level = !_level;
            _pin.Write(_level ? PinValue.High : PinValue.Low);
        }
    }
}
